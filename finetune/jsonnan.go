package finetune

import (
	"encoding/json"
	"math"
)

// Accuracies are NaN where nothing was measured (no held-out data);
// encoding/json refuses NaN, so these records write null there.

// MarshalJSON writes ValAcc as null when it was not measured.
func (e EpochStats) MarshalJSON() ([]byte, error) {
	type plain EpochStats
	return json.Marshal(struct {
		plain
		ValAcc *float64
	}{plain(e), finiteOrNil(e.ValAcc)})
}

// MarshalJSON writes the accuracy as null when it was not measured.
func (s Snapshot) MarshalJSON() ([]byte, error) {
	type plain Snapshot
	return json.Marshal(struct {
		plain
		Accuracy *float64 `json:"holdout_accuracy"`
	}{plain(s), finiteOrNil(s.Accuracy)})
}

func finiteOrNil(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}
