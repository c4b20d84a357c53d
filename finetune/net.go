package finetune

import (
	"fmt"
	"slices"

	"github.com/bincompress/bincompress/finetune/autograd"
	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/ir/schema"
)

// value is what a graph value holds during a forward pass: a float tensor,
// or a small int64 tensor of a shape subgraph (Shape, Gather, Concat ...),
// which is folded as it runs.
type value struct {
	t     *autograd.Tensor
	ints  []int64
	shape []int
}

// bnState is one BatchNormalization node's running statistics (shared with
// the model's initializers) and the sums of a re-estimation pass.
type bnState struct {
	mean, variance []float32
	eps, momentum  float32
	sumMean        []float64
	sumVar         []float64
	sumMean2       []float64
	batches        int
}

// binLayer is a binary conv or dense layer: its float latent weights W and
// the Ŵ = s·sign(W) the forward pass uses, whose gradient is W's.
type binLayer struct {
	node   *ir.Node
	weight string
	layout ir.WeightLayout
	mode   ir.ScaleMode
	latent *autograd.Tensor
	hat    *autograd.Tensor
}

// net is a training graph compiled from an ir.Model whose initializers it
// shares: training updates the model's weights and BN statistics in place.
type net struct {
	nodes    []*ir.Node
	input    string
	inShape  []int // C, H, W when known (0 where not)
	output   string
	params   map[string]*autograd.Tensor
	order    []string        // params in initializer order
	decay    map[string]bool // conv and dense weights
	consts   map[string]value
	bn       map[*ir.Node]*bnState
	binary   map[*ir.Node]*binLayer
	layers   []*binLayer
	release  [][]string                // values whose last reader is node i
	fused    map[*ir.Node]*ir.Node     // BN → the ReLU that alone reads it
	skip     map[*ir.Node]bool         // ReLUs run by their BN in training
	inPlace  map[*ir.Node]bool         // ReLUs and BatchNormalizations that may overwrite their input
	addInto  map[*ir.Node]int          // Adds that may overwrite input 0 or 1
	bound    map[*ir.Node]*schema.Node // every node with its op layer attributes
	acts     map[*ir.Node]actFusion    // chain anchors run as one activation (fuse_act.go)
	absorbed map[*ir.Node]*ir.Node     // chain nodes that do not run → their anchor
	dev      *deviceNet                // the device copies, when training on one
	// around, when set, runs each node of a forward pass as
	// around(r, nd, run): a profiler times the nodes with it.
	around func(r *run, nd *ir.Node, run func() error) error
}

// compile builds a net from m (which it shares), binary where plan says;
// a nil plan keeps every layer float.
func compile(m *ir.Model, plan []ir.LayerRecord) (*net, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("finetune: %w", err)
	}
	g := m.Graph
	n := &net{nodes: g.Nodes, params: map[string]*autograd.Tensor{}, decay: map[string]bool{},
		consts: map[string]value{}, bn: map[*ir.Node]*bnState{}, binary: map[*ir.Node]*binLayer{}}
	if err := n.bindNodes(m); err != nil {
		return nil, err
	}
	if err := n.findIO(g); err != nil {
		return nil, err
	}
	if err := n.loadInitializers(g); err != nil {
		return nil, err
	}
	if err := n.markParams(g); err != nil {
		return nil, err
	}
	if err := n.selectBinary(plan); err != nil {
		return nil, err
	}
	n.planRelease()
	n.planFusion()
	n.planActivations()
	return n, nil
}

// findIO picks the one data input and the logits: the graph's first output,
// or the input of a final Softmax/LogSoftmax.
func (n *net) findIO(g *ir.Graph) error {
	ins := g.DataInputs()
	if len(ins) != 1 || len(g.Outputs) == 0 {
		return fmt.Errorf("finetune: model needs exactly one data input and an output, has %d inputs and %d outputs", len(ins), len(g.Outputs))
	}
	n.input, n.output = ins[0].Name, g.Outputs[0].Name
	for _, d := range ins[0].Shape[min(1, len(ins[0].Shape)):] {
		n.inShape = append(n.inShape, int(max(d.Size, 0)))
	}
	if p := finalSoftmax(g); p != nil {
		n.output = p.Input(0)
		n.nodes = slices.DeleteFunc(slices.Clone(n.nodes), func(x *ir.Node) bool { return x == p })
	}
	return nil
}

// finalSoftmax is the Softmax or LogSoftmax that makes g's first output,
// which the trainer does not run so that the loss sees logits; nil when
// there is none.
func finalSoftmax(g *ir.Graph) *ir.Node {
	if g == nil || len(g.Outputs) == 0 {
		return nil
	}
	if p := g.Producers()[g.Outputs[0].Name]; p != nil && (p.OpType == "Softmax" || p.OpType == "LogSoftmax") {
		return p
	}
	return nil
}

// trainedGraph is m as the trainer runs it: without a final Softmax or
// LogSoftmax (a shallow copy then; m itself otherwise).
func trainedGraph(m *ir.Model) *ir.Model {
	if m == nil {
		return nil
	}
	p := finalSoftmax(m.Graph)
	if p == nil {
		return m
	}
	g := *m.Graph
	g.Nodes = slices.DeleteFunc(slices.Clone(g.Nodes), func(x *ir.Node) bool { return x == p })
	out := *g.Outputs[0]
	out.Name = p.Input(0)
	g.Outputs = append([]*ir.ValueInfo{&out}, g.Outputs[1:]...)
	c := *m
	c.Graph = &g
	return &c
}

func (n *net) loadInitializers(g *ir.Graph) error {
	for _, t := range g.Initializers {
		switch t.DType {
		case ir.Float32:
			n.consts[t.Name] = value{t: autograd.New(t.Shape, t.Data.([]float32))}
		case ir.Int64, ir.Int32, ir.Bool:
			v, err := intsOf(t)
			if err != nil {
				return fmt.Errorf("finetune: initializer %q: %w", t.Name, err)
			}
			n.consts[t.Name] = value{ints: v, shape: t.Shape}
		default:
			return fmt.Errorf("finetune: initializer %q has type %v; convert the model to float32 first", t.Name, t.DType)
		}
	}
	return nil
}

// markParams makes trainable the initializers that are conv and dense
// weights and biases and BN scales and offsets; BN means and variances
// become running statistics.
func (n *net) markParams(g *ir.Graph) error {
	for _, nd := range n.nodes {
		switch nd.OpType {
		case "Conv", "Gemm":
			n.param(nd.Input(1), true)
			n.param(nd.Input(2), false)
		case "MatMul":
			n.param(nd.Input(1), true)
		case "PRelu":
			n.param(viewSource(g, nd.Input(1)), false)
		case "BatchNormalization":
			if err := n.addBN(nd); err != nil {
				return err
			}
		}
	}
	for _, t := range g.Initializers {
		if _, ok := n.params[t.Name]; ok {
			n.order = append(n.order, t.Name)
		}
	}
	return nil
}

func (n *net) param(name string, decay bool) {
	c, ok := n.consts[name]
	if !ok || c.t == nil {
		return
	}
	if _, done := n.params[name]; !done {
		n.params[name] = autograd.Param(c.t.Shape, c.t.Data)
	}
	n.decay[name] = n.decay[name] || decay
}

func (n *net) addBN(nd *ir.Node) error {
	n.param(nd.Input(1), false)
	n.param(nd.Input(2), false)
	mean, v := n.consts[nd.Input(3)], n.consts[nd.Input(4)]
	if mean.t == nil || v.t == nil {
		return fmt.Errorf("finetune: node %q (BatchNormalization): mean and variance must be float initializers", nd.Name)
	}
	a, err := attrsOf[schema.BatchNormalization](n, nd)
	if err != nil {
		return fmt.Errorf("finetune: %w", err)
	}
	n.bn[nd] = &bnState{mean: mean.t.Data, variance: v.t.Data, eps: a.Epsilon, momentum: a.Momentum}
	return nil
}

// planRelease lists, for each node, the values it reads last, so a forward
// pass drops its references to them (only what ops saved stays alive).
func (n *net) planRelease() {
	last := map[string]int{}
	for i, nd := range n.nodes {
		for _, in := range nd.Inputs {
			last[in] = i
		}
	}
	n.release = make([][]string, len(n.nodes))
	for name, i := range last {
		if _, c := n.consts[name]; !c && name != n.output && name != "" {
			n.release[i] = append(n.release[i], name)
		}
	}
}

// planFusion pairs each BatchNormalization whose only reader is a Relu
// with it, so that training runs autograd's BatchNormRelu (one code serves
// BN's backward, the mask and the next binary layer's input).
func (n *net) planFusion() {
	n.fused, n.skip, n.inPlace = map[*ir.Node]*ir.Node{}, map[*ir.Node]bool{}, map[*ir.Node]bool{}
	n.addInto = map[*ir.Node]int{}
	readers := map[string][]*ir.Node{}
	for _, nd := range n.nodes {
		for _, in := range nd.Inputs {
			readers[in] = append(readers[in], nd)
		}
	}
	producers := map[string]*ir.Node{}
	for _, nd := range n.nodes {
		for _, out := range nd.Outputs {
			producers[out] = nd
		}
	}
	// overwritable: a value that only nd reads, made by an op that keeps
	// none of its output for backward.
	overwritable := func(nd *ir.Node, in string) bool {
		p := producers[in]
		return p != nil && keepsNoOutput[p.OpType] && len(readers[in]) == 1 && in != n.output
	}
	for _, nd := range n.nodes {
		if (nd.OpType == "Relu" || nd.OpType == "BatchNormalization") && overwritable(nd, nd.Input(0)) {
			n.inPlace[nd] = true
		}
		if nd.OpType == "Add" && len(nd.Inputs) == 2 && nd.Inputs[0] != nd.Inputs[1] {
			for k, in := range nd.Inputs {
				if overwritable(nd, in) {
					n.addInto[nd] = k
					break
				}
			}
		}
	}
	for _, nd := range n.nodes {
		if nd.OpType != "BatchNormalization" || len(nd.Outputs) == 0 || nd.Outputs[0] == n.output {
			continue
		}
		if rs := readers[nd.Outputs[0]]; len(rs) == 1 && rs[0].OpType == "Relu" {
			n.fused[nd], n.skip[rs[0]] = rs[0], true
		}
	}
}

// keepsNoOutput lists ops whose backward needs none of their own output,
// so a ReLU that alone reads it may overwrite it.
var keepsNoOutput = map[string]bool{"Conv": true, "BatchNormalization": true, "Add": true, "Sum": true, "Gemm": true,
	"Mul": true, "Sub": true, "Concat": true, "Pad": true, "Slice": true, "Transpose": true, "Sigmoid": true, "Tanh": true,
	"Gelu": true, "Erf": true, "HardSwish": true, "LeakyRelu": true, "PRelu": true, "Softplus": true, "Elu": true, "Selu": true}
