package cli

import (
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/bincompress/bincompress/ir"
	"github.com/bincompress/bincompress/onnx"
	"github.com/bincompress/bincompress/pack"
)

// provenance is what a .bnn records of the run that made it: the source
// model (its file and external data) and the seed.
type provenance struct {
	source onnx.Source
	seed   uint64
}

// record writes p into m's metadata under pack's keys (a .bnn's digest
// covers them). finetune --out records them too, so that pack of its
// output names the model and the seed the weights came from, not the
// fine-tuned file and pack's default seed.
func (p provenance) record(m *ir.Model) {
	m.SetMetadata(pack.KeySourceSHA256, hex.EncodeToString(p.source.SHA256[:]))
	m.SetMetadata(pack.KeySourceBytes, strconv.FormatInt(p.source.Bytes, 10))
	m.SetMetadata(pack.KeySeed, strconv.FormatUint(p.seed, 10))
}

// recordedProvenance is the provenance recorded in m (by finetune --out),
// ok false when m records none.
func recordedProvenance(m *ir.Model) (p provenance, ok bool, err error) {
	sum, ok := m.MetadataValue(pack.KeySourceSHA256)
	if !ok {
		return p, false, nil
	}
	size, _ := m.MetadataValue(pack.KeySourceBytes)
	seed, _ := m.MetadataValue(pack.KeySeed)
	raw, err1 := hex.DecodeString(sum)
	n, err2 := strconv.ParseInt(size, 10, 64)
	s, err3 := strconv.ParseUint(seed, 10, 64)
	if err1 != nil || len(raw) != len(p.source.SHA256) || err2 != nil || n < 0 || err3 != nil {
		return p, false, fmt.Errorf("its recorded source (%s %q, %s %q, %s %q) is malformed", pack.KeySourceSHA256, sum, pack.KeySourceBytes, size, pack.KeySeed, seed)
	}
	copy(p.source.SHA256[:], raw)
	p.source.Bytes, p.seed = n, s
	return p, true, nil
}
