package finetune

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/internal/backend"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// Training on a device backend (Config.Backend, docs/GPU.md): the compiled
// graph, the tape and the plan are the CPU's; the parameters, Ŵ, the
// momentum, the BN running statistics and the float constants are copied
// to the device once, and every op then runs there. Host data crosses only
// for a batch (up), the loss and metrics and the logits of an evaluation
// (down), a BN re-estimation's batch statistics (down), and checkpoints,
// snapshots and the end of training (down, into the model's initializers;
// the snapshot kept back up).

// deviceNet is what a net keeps on a device: the host slices its device
// tensors mirror (the model's initializers), to sync back and forth.
type deviceNet struct {
	be     backend.Backend
	params map[string][]float32        // the host slice each device parameter mirrors
	consts map[string]*autograd.Tensor // float constants (BN running statistics too) on the device
}

// deviceOps are the ops that train on a device backend: those whose
// autograd implementation does all its arithmetic through backend.Backend
// (the op layer's stage schema.TrainerDevice; TestDeviceTable holds this
// list to it). An op of handlers joins once its autograd code calls the
// backend for its arithmetic and the GPU backend has the operations; until
// then CheckDevice refuses a graph that has it. Concat trains there on
// integers only and Cast between integers or between floats (the op
// layer's limits say so).
var deviceOps = []string{
	"Conv", "Gemm", "MatMul", "BatchNormalization", "Relu", "Clip", "Add", "Sum", "Mul", "MaxPool", "AveragePool",
	"GlobalAveragePool", "Flatten", "Reshape", "Identity", "Dropout", "Constant", "Shape", "Gather", "Unsqueeze",
	"Squeeze", "Concat", "Cast",
}

// CheckDevice reports whether model can train on a device backend: nil,
// or the op layer's *schema.UnsupportedOpError (stage
// schema.TrainerDevice) for the first node that cannot, whose Reason says
// so when --device cpu trains it. It checks the graph the trainer runs
// (trainedGraph: a final Softmax or LogSoftmax is not run). It asks only
// whether every op has device code: the element limit is Check's, with
// the caller's limit (--max-elements), and a second limit here, the
// default one, would refuse on the device a model the CPU takes.
func CheckDevice(model *ir.Model) error {
	err := schema.CheckLimit(trainedGraph(model), math.MaxInt64, schema.TrainerDevice)
	var u *schema.UnsupportedOpError
	if errors.As(err, &u) && u.Stage == schema.TrainerDevice && schema.Supports(schema.Trainer, schema.Lookup(u.Domain, u.Op), u.Opset) {
		u.Reason = strings.TrimPrefix(u.Reason+"; --device cpu trains it", "; ")
	}
	return err
}

// upload copies host values to a new buffer on be.
func upload(be backend.Backend, v []float32) backend.Buffer {
	b := be.Alloc(len(v))
	be.Upload(b, v)
	return b
}

// toDevice moves the net's trainable values, float constants and BN
// running statistics to be.
func (n *net) toDevice(be backend.Backend) {
	d := &deviceNet{be: be, params: map[string][]float32{}, consts: map[string]*autograd.Tensor{}}
	for _, name := range slices.Sorted(maps.Keys(n.params)) { // in one order: the device's memory plan replays it
		p := n.params[name]
		d.params[name] = p.Data
		n.params[name] = autograd.DeviceParam(be, p.Shape, upload(be, p.Data))
		n.params[name].AllocGrad() // held for the run: steps then reuse the same pool blocks
	}
	for _, name := range slices.Sorted(maps.Keys(n.consts)) {
		c := n.consts[name]
		if _, param := n.params[name]; c.t != nil && !param {
			d.consts[name] = autograd.OnDevice(be, c.t.Shape, upload(be, c.t.Data))
		}
	}
	n.constantNodesTo(d)
	for _, l := range n.layers {
		l.latent = n.params[l.weight]
		l.hat = autograd.AliasOnDevice(l.latent, be.Alloc(l.latent.Len()))
	}
	n.dev = d
}

// constantNodesTo uploads the float values of Constant nodes, which every
// pass reads, under their output's name (opConstant takes them from there).
func (n *net) constantNodesTo(d *deviceNet) {
	for _, nd := range n.nodes {
		if nd.OpType != "Constant" {
			continue
		}
		a, err := attrsOf[schema.Constant](n, nd)
		if err != nil {
			continue // the pass reports it
		}
		if v, err := constValue(a.Value); err == nil && v.t != nil {
			d.consts[nd.Outputs[0]] = autograd.OnDevice(d.be, v.t.Shape, upload(d.be, v.t.Data))
		}
	}
}

// syncHost downloads the parameters and BN running statistics into the
// model's initializers (a no-op on the host).
func (n *net) syncHost() {
	if n.dev == nil {
		return
	}
	be := n.dev.be
	for name, h := range n.dev.params {
		be.Download(h, n.params[name].Buffer())
	}
	for nd, s := range n.bn {
		be.Download(s.mean, n.dev.consts[nd.Input(3)].Buffer())
		be.Download(s.variance, n.dev.consts[nd.Input(4)].Buffer())
	}
}

// syncDevice uploads the model's initializers (a resumed checkpoint, BN
// statistics re-estimated on the host) into the device copies.
func (n *net) syncDevice() {
	if n.dev == nil {
		return
	}
	for name, h := range n.dev.params {
		n.dev.be.Upload(n.params[name].Buffer(), h)
	}
	n.statsToDevice()
}

// statsToDevice uploads the BN running statistics (re-estimated on the
// host) into their device copies.
func (n *net) statsToDevice() {
	if n.dev == nil {
		return
	}
	for nd, s := range n.bn {
		n.dev.be.Upload(n.dev.consts[nd.Input(3)].Buffer(), s.mean)
		n.dev.be.Upload(n.dev.consts[nd.Input(4)].Buffer(), s.variance)
	}
}

// freeDevice frees the net's device memory and leaves the net on the host
// side of every dev check, so that a second call frees nothing twice.
func (n *net) freeDevice() {
	if n.dev == nil {
		return
	}
	be := n.dev.be
	for name := range n.dev.params {
		be.Free(n.params[name].Buffer())
		n.params[name].FreeGrad()
	}
	for _, c := range n.dev.consts {
		be.Free(c.Buffer())
	}
	for _, l := range n.layers {
		be.Free(l.hat.Buffer())
	}
	n.dev = nil
}

// input puts a batch on the trainer's backend: the host tensor itself on
// the CPU; on a device, uploaded into one buffer reused from batch to
// batch.
func (t *trainer) input(x *autograd.Tensor) *autograd.Tensor {
	if t.be == nil {
		return x
	}
	if t.inBuf == nil || t.inBuf.Len() != x.Len() {
		if t.inBuf != nil {
			t.be.Free(t.inBuf)
		}
		t.inBuf = t.be.Alloc(x.Len())
	}
	t.be.Upload(t.inBuf, x.Data)
	return autograd.OnDevice(t.be, x.Shape, t.inBuf)
}

// deviceErr is the first failure of the device backend since the last
// call (nil on the CPU).
func (t *trainer) deviceErr() error {
	if t.be == nil {
		return nil
	}
	if err := t.be.Err(); err != nil {
		return fmt.Errorf("finetune: on %s: %w", t.be.Name(), err)
	}
	return nil
}

// values returns a tensor's values on the host (downloaded from a device).
func values(t *autograd.Tensor) []float32 {
	if t.OnDevice() {
		return t.Download()
	}
	return t.Data
}

// deviceConst is a float constant's device copy (nil on the host).
func (n *net) deviceConst(name string) *autograd.Tensor {
	if n.dev == nil {
		return nil
	}
	return n.dev.consts[name]
}

// runningStats are a BN node's running mean and variance on the net's
// backend.
func (n *net) runningStats(nd *ir.Node) (mean, variance *autograd.Tensor) {
	if c := n.deviceConst(nd.Input(3)); c != nil {
		return c, n.deviceConst(nd.Input(4))
	}
	s := n.bn[nd]
	c := len(s.mean)
	return autograd.New([]int{c}, s.mean), autograd.New([]int{c}, s.variance)
}

// freeDevice gives back the run's device memory (the device itself stays
// open: the caller owns it).
func (t *trainer) freeDevice() {
	if t.be == nil {
		return
	}
	t.freeStudentDevice()
	if t.inBuf != nil {
		t.be.Free(t.inBuf)
	}
	if t.teacher != nil {
		t.teacher.freeDevice()
	}
	t.be.Err() // nothing left to report to
}

// freeStudentDevice frees the device memory of the student and of the
// optimizer's state (none on the host).
func (t *trainer) freeStudentDevice() {
	if t.be == nil {
		return
	}
	for _, b := range t.opt.buf {
		t.be.Free(b)
	}
	t.opt.buf = nil
	t.student.freeDevice()
}

// hostValues is parameter name's host slice (the model's initializer).
func (n *net) hostValues(name string) []float32 {
	if n.dev != nil {
		return n.dev.params[name]
	}
	return n.params[name].Data
}
