package finetune

import "github.com/bincompress/bincompress/finetune/autograd"

// BN re-estimation (McDonnell; Nagel et al.): run training batches with batch
// statistics, then set each BatchNormalization's running mean to the mean
// of the batch means and its running variance to the population variance
// by the law of total variance, E[σ²_B] + Var[μ_B].

// resetStats clears every BN node's re-estimation sums.
func (n *net) resetStats() {
	for _, s := range n.bn {
		s.sumMean, s.sumVar, s.sumMean2, s.batches = nil, nil, nil, 0
	}
}

func (s *bnState) accumulate(b autograd.BatchStats) {
	if s.sumMean == nil {
		c := len(s.mean)
		s.sumMean, s.sumVar, s.sumMean2 = make([]float64, c), make([]float64, c), make([]float64, c)
	}
	for i := range s.mean {
		m := float64(b.Mean[i])
		s.sumMean[i] += m
		s.sumMean2[i] += m * m
		s.sumVar[i] += float64(b.Var[i])
	}
	s.batches++
}

// applyStats writes the re-estimated statistics into the running values.
func (n *net) applyStats() {
	for _, s := range n.bn {
		if s.batches == 0 {
			continue
		}
		k := float64(s.batches)
		for i := range s.mean {
			mu := s.sumMean[i] / k
			s.mean[i] = float32(mu)
			s.variance[i] = float32(s.sumVar[i]/k + max(s.sumMean2[i]/k-mu*mu, 0))
		}
	}
}
