package autograd

import "testing"

func erfCases() []opCase { return []opCase{unaryCase("Erf", (*Tape).Erf, -3, 3, 0.03)} }

func TestErfGrad(t *testing.T) { checkOps(t, erfCases()) }
