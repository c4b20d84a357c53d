// Kernels that test the emulation itself (emu_test.go): compiled into the
// fake library beside the real kernels, never into the product.

// out[b*n + t] = the value thread (t+1)%n wrote to shared memory, with a
// barrier between the write and the read: a rotation under any order.
extern "C" __global__ void emu_rotate(const int* in, int* out) {
  __shared__ int sh[1024];
  unsigned n = blockDim.x * blockDim.y * blockDim.z;
  unsigned t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  unsigned b = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  sh[t] = in[b * n + t];
  __syncthreads();
  out[b * n + t] = sh[(t + 1) % n];
}

// The same without the barrier: what a thread reads depends on the order
// the threads run in.
extern "C" __global__ void emu_rotate_racy(const int* in, int* out) {
  __shared__ int sh[1024];
  unsigned n = blockDim.x;
  sh[threadIdx.x] = in[blockIdx.x * n + threadIdx.x] + 1;
  out[blockIdx.x * n + threadIdx.x] = sh[(threadIdx.x + 1) % n];
}

// Thread 0 skips a barrier the others wait at.
extern "C" __global__ void emu_diverge(int* out) {
  if (threadIdx.x != 0) __syncthreads();
  out[blockIdx.x * blockDim.x + threadIdx.x] = 1;
}

// Each thread writes its coordinates: (block, thread, dims) per thread.
extern "C" __global__ void emu_ids(int* out) {
  unsigned t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  unsigned n = blockDim.x * blockDim.y * blockDim.z;
  unsigned b = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  int* o = out + 6 * ((long long)b * n + t);
  o[0] = threadIdx.x;
  o[1] = threadIdx.y;
  o[2] = threadIdx.z;
  o[3] = blockIdx.x;
  o[4] = blockIdx.y;
  o[5] = blockIdx.z;
}
