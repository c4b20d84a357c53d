package pack

import (
	"errors"
	"fmt"
	"testing"

	"github.com/bincompress/bincompress/ir"
)

// corruption edits a packed model; reseal recomputes the digest afterwards
// so that the structural checks behind it are reached.
type corruption struct {
	name   string
	edit   func(m *ir.Model)
	reseal bool
	want   error
}

func nodeNamed(m *ir.Model, name string) *ir.Node {
	return m.Graph.Nodes[nodeIndex(m.Graph, name)]
}

func corruptions() []corruption {
	return []corruption{
		{"no version", func(m *ir.Model) {
			m.Metadata = deleteWhere(m.Metadata, func(kv ir.KeyValue) bool { return kv.Key == KeyFormatVersion })
		}, false, ErrNotBNN},
		{"wrong version", func(m *ir.Model) { m.SetMetadata(KeyFormatVersion, "3") }, false, ErrVersion},
		{"version 1", func(m *ir.Model) { m.SetMetadata(KeyFormatVersion, "1") }, true, ErrVersion},
		{"no opset", func(m *ir.Model) { m.OpsetImports = m.OpsetImports[:1] }, true, ErrNotBNN},
		{"opset 2", func(m *ir.Model) { m.OpsetImports[1].Version = 2 }, true, ErrVersion},
		{"no digest", func(m *ir.Model) {
			m.Metadata = deleteWhere(m.Metadata, func(kv ir.KeyValue) bool { return kv.Key == KeyDigest })
		}, false, ErrDigest},
		{"flipped bit", func(m *ir.Model) { m.Graph.Initializer("c70_bits").Data.([]uint64)[3] ^= 1 << 9 }, false, ErrDigest},
		{"flipped multiplier", func(m *ir.Model) { m.Graph.Initializer("fc2_multiplier").Data.([]float32)[0] = 7 }, false, ErrDigest},
		{"changed stride", func(m *ir.Model) { nodeNamed(m, "gconv").SetAttr(ints("strides", 1, 1)) }, false, ErrDigest},
		{"channels vs words", func(m *ir.Model) { nodeNamed(m, "c70").SetAttr(attrInt("channels", 20)) }, true, ErrLayer},
		{"kernel vs words", func(m *ir.Model) { nodeNamed(m, "c70").SetAttr(ints("kernel_shape", 5, 5)) }, true, ErrLayer},
		{"missing kernel", func(m *ir.Model) { nodeNamed(m, "dw").Attrs = nil }, true, ErrLayer},
		{"group vs channels", func(m *ir.Model) { nodeNamed(m, "gconv").SetAttr(attrInt("group", 3)) }, true, ErrLayer},
		{"in_features vs words", func(m *ir.Model) { nodeNamed(m, "fc2").SetAttr(attrInt("in_features", 129)) }, true, ErrLayer},
		{"multiplier count", func(m *ir.Model) {
			t := m.Graph.Initializer("fc2_multiplier")
			t.Data, t.Shape = t.Data.([]float32)[:6], []int{6}
		}, true, ErrLayer},
		{"bits dtype", func(m *ir.Model) {
			t := m.Graph.Initializer("fc3_bits")
			t.DType, t.Data = ir.Int64, []int64{int64(t.Data.([]uint64)[0]), int64(t.Data.([]uint64)[1]), int64(t.Data.([]uint64)[2])}
		}, true, ErrLayer},
		{"padding bit", func(m *ir.Model) { m.Graph.Initializer("fc3_bits").Data.([]uint64)[2] |= 1 << 40 }, true, ErrLayer},
		{"bad pads", func(m *ir.Model) { nodeNamed(m, "gconv").SetAttr(ints("pads", 1, 1)) }, true, ErrLayer},
		{"bad auto_pad", func(m *ir.Model) {
			nodeNamed(m, "dw").SetAttr(&ir.Attr{Name: "auto_pad", Type: ir.AttrString, S: []byte("FULL")})
		}, true, ErrLayer},
		{"unknown op", func(m *ir.Model) { nodeNamed(m, "fc3").OpType = "BinaryLSTM" }, true, ErrLayer},
		{"bits from input", func(m *ir.Model) {
			n := nodeNamed(m, "fc3")
			m.Graph.Inputs = append(m.Graph.Inputs, &ir.ValueInfo{Name: "wb", DType: ir.Uint64})
			n.Inputs[1] = "wb"
		}, true, ErrLayer},
		{"bad records", func(m *ir.Model) { m.SetMetadata(ir.LayersKey, "[{") }, true, ErrMetadata},
		{"edited records", func(m *ir.Model) { m.SetMetadata(ir.LayersKey, "[{") }, false, ErrDigest},
		{"records claim a float layer binary", func(m *ir.Model) { editRecords(m, func(r *ir.LayerRecord) { r.Binarized = !r.Binarized }) }, true, ErrMetadata},
		{"records name no node", func(m *ir.Model) { editRecords(m, func(r *ir.LayerRecord) { r.Node += "_gone" }) }, true, ErrMetadata},
		{"short tensor", func(m *ir.Model) {
			t := m.Graph.Initializer("c70_bias")
			t.Data = t.Data.([]float32)[:3]
		}, true, ErrGraph},
	}
}

// editRecords edits the first of m's layer records.
func editRecords(m *ir.Model, edit func(r *ir.LayerRecord)) {
	recs, err := m.LayerRecords()
	if err != nil || len(recs) == 0 {
		panic(fmt.Sprintf("no layer records: %v", err))
	}
	edit(&recs[0])
	if err := m.SetLayerRecords(recs); err != nil {
		panic(err)
	}
}

func TestCheckNamesTheFailedCheck(t *testing.T) {
	for _, c := range corruptions() {
		m := mustPack(t, mixedModel())
		if err := Check(m); err != nil {
			t.Fatalf("fresh pack fails Check: %v", err)
		}
		c.edit(m)
		if c.reseal {
			m.SetMetadata(KeyDigest, Digest(m))
		}
		err := Check(m)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Check = %v, want %v", c.name, err, c.want)
		}
		if _, uerr := Unpacked(m); !errors.Is(uerr, c.want) {
			t.Errorf("%s: Unpacked = %v, want %v", c.name, uerr, c.want)
		}
	}
}

func TestMetadataOutsideDigest(t *testing.T) {
	m := mustPack(t, mixedModel())
	m.SetMetadata(KeyVerify, `{"top1":0.9}`)
	m.SetMetadata(KeyTraining, `{"loss":[1]}`)
	if err := Check(m); err != nil {
		t.Fatalf("adding metadata broke the check: %v", err)
	}
}

// TestRunReportsNotCarried: a verify report and a training curve describe
// the .bnn one run wrote. Its export carries neither, nor does a .bnn
// packed from a model that carries them (an export by an older build):
// inspect would show the old report as the new file's. The labels, which
// describe the model, stay.
func TestRunReportsNotCarried(t *testing.T) {
	withReports := func(m *ir.Model) {
		m.SetMetadata(KeyVerify, `{"top1":0.9}`)
		m.SetMetadata(KeyTraining, `{"loss":[1]}`)
	}
	m := mixedModel()
	m.SetMetadata(KeyLabels, `["a","b"]`)
	bnn := mustPack(t, m)
	withReports(bnn)
	exported, err := Unpacked(bnn)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got *ir.Model) {
		for _, k := range []string{KeyVerify, KeyTraining} {
			if _, ok := got.MetadataValue(k); ok {
				t.Errorf("%s carries %s", name, k)
			}
		}
		if _, ok := got.MetadataValue(KeyLabels); !ok {
			t.Errorf("%s lost %s", name, KeyLabels)
		}
	}
	check("the export", exported)
	withReports(exported)
	check("the export packed again", mustPack(t, exported))
}

// TestDigestCoversMetadata: editing, adding or removing any digested entry
// (the stored mean of the preprocessing, the labels, the plan, ...) fails
// the check, while reordering the entries does not.
func TestDigestCoversMetadata(t *testing.T) {
	base := mixedModel()
	base.SetMetadata(KeyPreprocess, `{"mean":[0.286],"std":[0.353]}`)
	base.SetMetadata(KeyLabels, `["a","b"]`)
	base.SetMetadata(KeySourceSHA256, "00")
	for _, k := range DigestedKeys {
		m := mustPack(t, base)
		v, ok := m.MetadataValue(k)
		m.SetMetadata(k, v+"x")
		if err := Check(m); !errors.Is(err, ErrDigest) && !(k == KeyFormatVersion && errors.Is(err, ErrVersion)) {
			t.Errorf("editing %s: Check = %v, want ErrDigest", k, err)
		}
		m = mustPack(t, base)
		if ok {
			m.Metadata = deleteWhere(m.Metadata, func(kv ir.KeyValue) bool { return kv.Key == k })
		} else {
			m.SetMetadata(k, "1")
		}
		if err := Check(m); !errors.Is(err, ErrDigest) && !errors.Is(err, ErrNotBNN) {
			t.Errorf("adding or removing %s: Check = %v, want ErrDigest", k, err)
		}
	}
	m := mustPack(t, base)
	for i, j := 0, len(m.Metadata)-1; i < j; i, j = i+1, j-1 {
		m.Metadata[i], m.Metadata[j] = m.Metadata[j], m.Metadata[i]
	}
	if err := Check(m); err != nil {
		t.Errorf("reordered metadata: %v", err)
	}
}
