package finetune

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/bincompress/bincompress/finetune/autograd"
)

// TestNetGradFiniteDifference differentiates the whole compiled graph
// (training-mode BN, residual add, pooling, loss) and compares a sample of
// each parameter's gradient with central differences of the loss (eps =
// 1e-3 keeps perturbations from crossing ReLU and max-pool kinks).
func TestNetGradFiniteDifference(t *testing.T) {
	m := tinyResNet(1, 3)
	n, err := compile(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	data := stripes(2, 6, 3)
	x := autograd.New([]int{6, 1, 8, 8}, data.X)
	lossAt := func(tp *autograd.Tape) *autograd.Tensor {
		logits, err := n.forward(tp, x, modeStats)
		if err != nil {
			t.Fatal(err)
		}
		l, _, err := tp.CrossEntropy(logits, data.Labels, 1)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	tp := &autograd.Tape{}
	if err := tp.Backward(lossAt(tp)); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	for _, name := range n.order {
		p := n.params[name]
		for _, j := range r.Perm(len(p.Data))[:min(4, len(p.Data))] {
			orig := p.Data[j]
			const eps = 1e-3
			p.Data[j] = orig + eps
			plus := float64(lossAt(nil).Data[0])
			p.Data[j] = orig - eps
			minus := float64(lossAt(nil).Data[0])
			p.Data[j] = orig
			num, ana := (plus-minus)/(2*eps), float64(p.Grad()[j])
			if math.Abs(num-ana) > 5e-3+2e-2*math.Abs(num) {
				t.Errorf("%s[%d]: analytic %.5g, numeric %.5g", name, j, ana, num)
			}
		}
	}
}

// TestSoftmaxIsStripped: the logits come from before the final Softmax.
func TestSoftmaxIsStripped(t *testing.T) {
	n, err := compile(tinyResNet(1, 3), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n.output != "logits" {
		t.Fatalf("output %q, want logits", n.output)
	}
}

// TestResNet20Memory runs PyTorch's CIFAR ResNet-20 export at batch 4 and
// checks the compressed tape against the exact one: at least the issue's
// 16× fewer activation bytes (6 bits per element and block against 128,
// less the per-channel ranges that a batch of 4 does not amortize).
func TestResNet20Memory(t *testing.T) {
	cfg := DefaultConfig()
	cfg.BatchSize = 4
	tr, err := newTrainer(readModel(t, resnet20), planOfTest(t, readModel(t, resnet20)), randomSource(4, 3, 32, 32, 10, 2), nil, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.measure(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := tr.res.Memory
	t.Logf("ResNet-20 saved for backward per image: exact %.0f B, compressed %.0f B (%.1f×); %d binary layers",
		m.ExactPerImage, m.CompressedPerImage, m.ExactPerImage/m.CompressedPerImage, len(tr.student.layers))
	if len(tr.student.layers) != 22 || m.ExactPerImage < 16*m.CompressedPerImage {
		t.Fatalf("%d binary layers (want 22), exact %v vs compressed %v bytes per image", len(tr.student.layers), m.ExactPerImage, m.CompressedPerImage)
	}
}
