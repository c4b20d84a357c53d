package pack

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"

	"github.com/bincompress/bincompress/ir"
)

// DigestPrefix starts the value stored under KeyDigest.
const DigestPrefix = "sha256:"

// Digest is "sha256:" and the hex SHA-256 of the model's canonical bytes:
// opset imports, then graph input and output names, initializers and nodes,
// each in file order, then the metadata entries of DigestedKeys that are
// present, in that list's order (docs/bnn-format.md, "Digest"). Doc strings,
// value infos, producer fields and other metadata (the verify report, the
// training curve) are not covered, so later stages may add them without
// invalidating the digest.
func Digest(m *ir.Model) string {
	d := digester{h: sha256.New()}
	d.u32(uint32(len(m.OpsetImports)))
	for _, o := range m.OpsetImports {
		d.str(o.Domain)
		d.u64(uint64(o.Version))
	}
	if m.Graph != nil {
		d.graph(m.Graph)
	}
	d.metadata(m)
	return DigestPrefix + hex.EncodeToString(d.h.Sum(nil))
}

// DigestedKeys are the metadata entries the digest covers: everything a
// reader acts on (the layer plan, the input preprocessing, the class names)
// and the provenance a cache relies on. Set them before Pack.
var DigestedKeys = []string{KeyFormatVersion, ir.LayersKey, KeyPreprocess, KeyLabels, KeySourceSHA256, KeySourceBytes, KeySeed}

// metadata writes the count of DigestedKeys present, then str(key) and
// str(value) of each, in DigestedKeys order.
func (d *digester) metadata(m *ir.Model) {
	var present []string
	for _, k := range DigestedKeys {
		if _, ok := m.MetadataValue(k); ok {
			present = append(present, k)
		}
	}
	d.u32(uint32(len(present)))
	for _, k := range present {
		v, _ := m.MetadataValue(k)
		d.str(k)
		d.str(v)
	}
}

type digester struct {
	h   hash.Hash
	buf [8]byte
}

func (d *digester) u32(v uint32) {
	binary.LittleEndian.PutUint32(d.buf[:4], v)
	d.h.Write(d.buf[:4])
}

func (d *digester) u64(v uint64) {
	binary.LittleEndian.PutUint64(d.buf[:], v)
	d.h.Write(d.buf[:])
}

func (d *digester) str(s string) {
	d.u32(uint32(len(s)))
	d.h.Write([]byte(s))
}

func (d *digester) graph(g *ir.Graph) {
	d.u32(uint32(len(g.Inputs)))
	for _, v := range g.Inputs {
		d.str(v.Name)
	}
	d.u32(uint32(len(g.Outputs)))
	for _, v := range g.Outputs {
		d.str(v.Name)
	}
	d.u32(uint32(len(g.Initializers)))
	for _, t := range g.Initializers {
		d.tensor(t)
	}
	d.u32(uint32(len(g.Nodes)))
	for _, n := range g.Nodes {
		d.node(n)
	}
}

func (d *digester) node(n *ir.Node) {
	d.str(n.Domain)
	d.str(n.OpType)
	d.str(n.Name)
	d.strs(n.Inputs)
	d.strs(n.Outputs)
	d.u32(uint32(len(n.Attrs)))
	for _, a := range n.Attrs {
		d.attr(a)
	}
}

func (d *digester) strs(s []string) {
	d.u32(uint32(len(s)))
	for _, x := range s {
		d.str(x)
	}
}

func (d *digester) attr(a *ir.Attr) {
	d.str(a.Name)
	d.u32(uint32(a.Type))
	switch a.Type {
	case ir.AttrFloat:
		d.u32(math.Float32bits(a.F))
	case ir.AttrInt:
		d.u64(uint64(a.I))
	case ir.AttrString:
		d.str(string(a.S))
	case ir.AttrTensor:
		d.tensor(a.T)
	case ir.AttrGraph:
		d.graph(a.G)
	case ir.AttrFloats:
		d.u32(uint32(len(a.Floats)))
		for _, f := range a.Floats {
			d.u32(math.Float32bits(f))
		}
	case ir.AttrInts:
		d.u32(uint32(len(a.Ints)))
		for _, i := range a.Ints {
			d.u64(uint64(i))
		}
	case ir.AttrStrings:
		d.u32(uint32(len(a.Strings)))
		for _, s := range a.Strings {
			d.str(string(s))
		}
	case ir.AttrTensors:
		d.u32(uint32(len(a.Tensors)))
		for _, t := range a.Tensors {
			d.tensor(t)
		}
	case ir.AttrGraphs:
		d.u32(uint32(len(a.Graphs)))
		for _, g := range a.Graphs {
			d.graph(g)
		}
	}
}

// tensor writes name, element type, shape and the elements little-endian
// (bool as one byte, strings length-prefixed).
func (d *digester) tensor(t *ir.Tensor) {
	if t == nil {
		d.str("")
		return
	}
	d.str(t.Name)
	d.u32(uint32(t.DType))
	d.u32(uint32(len(t.Shape)))
	for _, s := range t.Shape {
		d.u64(uint64(s))
	}
	d.u64(uint64(t.Len()))
	d.h.Write(tensorBytes(t))
}

// tensorBytes is the little-endian encoding of t's elements (ONNX raw_data
// order; strings length-prefixed).
func tensorBytes(t *ir.Tensor) []byte {
	var b []byte
	switch v := t.Data.(type) {
	case []float32:
		b = make([]byte, 0, 4*len(v))
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
	case []float64:
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
	case []uint64:
		b = make([]byte, 0, 8*len(v))
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, x)
		}
	case []int64:
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, uint64(x))
		}
	case []uint32:
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, x)
		}
	case []int32:
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, uint32(x))
		}
	case []uint16:
		for _, x := range v {
			b = binary.LittleEndian.AppendUint16(b, x)
		}
	case []int16:
		for _, x := range v {
			b = binary.LittleEndian.AppendUint16(b, uint16(x))
		}
	case []uint8:
		b = v
	case []int8:
		for _, x := range v {
			b = append(b, byte(x))
		}
	case []bool:
		for _, x := range v {
			if x {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		}
	case [][]byte:
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(x)))
			b = append(b, x...)
		}
	}
	return b
}
