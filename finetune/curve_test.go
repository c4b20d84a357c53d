package finetune

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteCurve(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "curve.png")
	epochs := []EpochStats{{Epoch: 1, Loss: 1.2, TrainAcc: 0.5, ValAcc: math.NaN()}, {Epoch: 2, Loss: 0.8, TrainAcc: 0.7, ValAcc: math.NaN()}}
	if err := WriteCurve(path, epochs); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG")) {
		t.Fatalf("not a PNG (%v)", err)
	}
	if err := WriteCurve(path, nil); err == nil {
		t.Fatal("want an error with no epochs")
	}
}
