package cli

import (
	"encoding/json"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
)

// TestFinalSoftmaxTrains: a model whose output is a final LogSoftmax or
// Softmax fine-tunes through the main command. The trainer drops that node
// so that the loss sees logits (finetune.TrainedGraph), and the stage
// check before writing checks the graph the trainer runs, so the op it
// drops is not refused as untrainable (LogSoftmax has no trainer code).
// The .bnn keeps the final op: `run` on it gives (log-)probabilities.
func TestFinalSoftmaxTrains(t *testing.T) {
	m, err := onnx.ReadFile(testModel("fmnist_tiny.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"LogSoftmax", "Softmax"} {
		t.Run(op, func(t *testing.T) {
			dir := t.TempDir()
			model := filepath.Join(dir, "tiny_"+op+".onnx")
			g := *m.Graph
			logits := *g.Outputs[0] // [batch, 10]: the final op keeps the logits' shape
			g.Nodes = append(slices.Clone(g.Nodes), &ir.Node{Name: "final", OpType: op, Inputs: []string{logits.Name},
				Outputs: []string{"probs"}, Attrs: []*ir.Attr{{Name: "axis", Type: ir.AttrInt, I: 1}}})
			logits.Name = "probs"
			g.Outputs = []*ir.ValueInfo{&logits}
			c := *m
			c.Graph = &g
			if err := onnx.WriteFile(model, &c); err != nil {
				t.Fatal(err)
			}
			data := filepath.Join(dir, "data")
			writeSyntheticData(t, data, []int{1, 28, 28})
			bnn := filepath.Join(dir, "tiny.bnn")
			code, out, errOut := run(t, model, bnn, "--data", data, "--epochs", "1", "--batch-size", "8", "--seed", "3", "--json")
			if code != 0 {
				t.Fatalf("main command: exit %d: %s", code, firstErrLine(errOut))
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			var sum CompressSummary
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil || !sum.FineTuned || len(sum.Epochs) != 1 {
				t.Fatalf("want one fine-tuned epoch: %v %s", err, lines[len(lines)-1])
			}
			y := filepath.Join(dir, "y.npy")
			if code, _, errOut := run(t, "run", bnn, "--input", testModel("fmnist_tiny.input.npy"), "--output", y); code != 0 {
				t.Fatalf("run of the .bnn: exit %d: %s", code, firstErrLine(errOut))
			}
			ys, _ := readFloatNPY(t, y).Float32s()
			total := 0.0
			for _, v := range ys[:10] {
				if op == "LogSoftmax" {
					total += math.Exp(float64(v))
				} else {
					total += float64(v)
				}
			}
			if math.Abs(total-1) > 1e-3 {
				t.Errorf("the .bnn's first row sums to %v as probabilities, want 1 (the final %s kept)", total, op)
			}
		})
	}
}
