package autograd

import "testing"

func tanhCases() []opCase { return []opCase{unaryCase("Tanh", (*Tape).Tanh, -3, 3, 0.03)} }

func TestTanhGrad(t *testing.T) { checkOps(t, tanhCases()) }
