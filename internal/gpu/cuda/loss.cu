// Softmax cross-entropy over logits [n][k], one thread per row. The
// softmax runs in double; dlogits = coef*(p - onehot(label)) is written
// (not added); rowloss = -log(max(p[label], 1e-30)); hit = argmax == label.
extern "C" __global__ void softmax_xent(const float* logits, const int* labels, float* dlogits, double* rowloss,
                                        int* hit, int n, int k, float coef) {
  GRID_LOOP(r, n) {
    const float* z = logits + r * k;
    int best = 0;
    for (int j = 1; j < k; j++)
      if (z[j] > z[best]) best = j;
    double m = (double)z[best], s = 0;
    for (int j = 0; j < k; j++) s += exp((double)z[j] - m);
    int l = labels[r];
    double pl = 0;
    for (int j = 0; j < k; j++) {
      float p = (float)(exp((double)z[j] - m) / s);
      if (j == l) pl = (double)p;
      dlogits[r * k + j] = coef * (p - (j == l ? 1.0f : 0.0f));
    }
    rowloss[r] = -log(pl > 1e-30 ? pl : 1e-30);
    hit[r] = best == l;
  }
}
