// Test-only: runs a CUDA grid the way a GPU does, on the CPU. Every thread
// of a block is a fiber with its own stack; __syncthreads() parks the fiber
// until every thread of the block has reached the barrier; __shared__
// variables are per OS thread, and an OS thread runs one block at a time, so
// the threads of a block share them and concurrent blocks do not. Blocks run
// concurrently on a small pool of OS threads. The fibers of a block run in
// an order chosen per barrier phase (forward, reverse or shuffled), so a
// kernel that reads what another thread writes without a barrier between
// gives different results under different orders.
//
// Included once, by fakecuda.cpp, before the kernel sources.
#pragma once
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <pthread.h>
#include <sys/mman.h>
#include <thread>
#include <vector>

struct uint3 {
  unsigned x, y, z;
};
typedef uint3 dim3;

// The built-in variables, per OS thread: the scheduler sets threadIdx before
// it resumes a fiber.
static thread_local uint3 threadIdx, blockIdx;
static thread_local dim3 blockDim, gridDim;

namespace emu {

typedef void (*kernel_fn)(void** params);

// Launch is one cuLaunchKernel: the grid, what runs it and its outcome.
struct Launch {
  kernel_fn fn;
  bool barriers;  // the kernel calls __syncthreads (else its threads run as plain calls)
  void** params;
  dim3 grid, block;
  unsigned blocks;  // grid.x * grid.y * grid.z
  int order;        // 0 forward, 1 reverse, 2 shuffled per phase
  std::atomic<unsigned> next{0};
  std::atomic<int> err{0};
  std::atomic<unsigned long long> threads{0};  // threads run to completion
};

enum { READY, WAITING, DONE };

// Fiber stacks: 64 KiB each below a guard page.
const size_t kStack = 64 << 10, kPage = 4096;

struct Fiber {
  void* sp = nullptr;
  char* mem = nullptr;  // guard page + stack
  uint3 idx{};
  int state = DONE;
  unsigned barriers = 0;
};

// Worker is one OS thread's block runner.
struct Worker {
  void* sched = nullptr;  // the scheduler's saved stack pointer
  std::vector<Fiber> fibers;
  const Launch* launch = nullptr;
  Fiber* cur = nullptr;
  bool direct = false;    // running a barrier-free kernel's threads as plain calls
  bool misplaced = false; // such a kernel reached a barrier after all
  std::vector<unsigned> perm;
  ~Worker() {
    for (auto& f : fibers)
      if (f.mem) munmap(f.mem, kStack + kPage);
  }
};

static thread_local Worker* worker;

static Worker& this_worker() {
  if (!worker) worker = new Worker();  // lives as long as the thread
  return *worker;
}

[[noreturn]] static void fiber_main();

// ---- context switching: save the callee-saved registers on the current
// stack, store its pointer in *save, load `to` and restore from there.
#if defined(__x86_64__)
extern "C" void emu_switch(void** save, void* to);
asm(R"(
.text
.hidden emu_switch
.globl emu_switch
.type emu_switch,@function
emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size emu_switch, .-emu_switch
)");

// A new fiber's first switch "returns" into fiber_main with the stack
// aligned as after a call.
static void* initial_frame(char* top) {
  uintptr_t* sp = (uintptr_t*)top;
  *--sp = 0;                         // alignment: rsp = top - 8 at entry
  *--sp = (uintptr_t)&fiber_main;    // return address
  for (int i = 0; i < 6; i++) *--sp = 0;  // rbp rbx r12-r15
  unsigned mxcsr;
  unsigned short fpucw;
  asm volatile("stmxcsr %0; fnstcw %1" : "=m"(mxcsr), "=m"(fpucw));
  *--sp = (uintptr_t)mxcsr | (uintptr_t)fpucw << 32;
  return sp;
}
#elif defined(__aarch64__)
extern "C" void emu_switch(void** save, void* to);
asm(R"(
.text
.hidden emu_switch
.globl emu_switch
.type emu_switch,%function
emu_switch:
  sub sp, sp, #176
  stp x19, x20, [sp, #0]
  stp x21, x22, [sp, #16]
  stp x23, x24, [sp, #32]
  stp x25, x26, [sp, #48]
  stp x27, x28, [sp, #64]
  stp x29, x30, [sp, #80]
  stp d8, d9, [sp, #96]
  stp d10, d11, [sp, #112]
  stp d12, d13, [sp, #128]
  stp d14, d15, [sp, #144]
  mov x9, sp
  str x9, [x0]
  mov sp, x1
  ldp x19, x20, [sp, #0]
  ldp x21, x22, [sp, #16]
  ldp x23, x24, [sp, #32]
  ldp x25, x26, [sp, #48]
  ldp x27, x28, [sp, #64]
  ldp x29, x30, [sp, #80]
  ldp d8, d9, [sp, #96]
  ldp d10, d11, [sp, #112]
  ldp d12, d13, [sp, #128]
  ldp d14, d15, [sp, #144]
  add sp, sp, #176
  ret
.size emu_switch, .-emu_switch
)");

static void* initial_frame(char* top) {
  uintptr_t* sp = (uintptr_t*)(top - 176);
  std::memset(sp, 0, 176);
  sp[11] = (uintptr_t)&fiber_main;  // x30, the link register
  return sp;
}
#else
#error "the CUDA emulation switches fibers on x86-64 and arm64 only"
#endif

static void to_scheduler(Fiber* f) { emu_switch(&f->sp, worker->sched); }

// fiber_main runs one GPU thread per turn, forever: the scheduler assigns
// the thread, switches in, and gets control back at each barrier and when
// the thread returns.
[[noreturn]] static void fiber_main() {
  for (;;) {
    Worker* w = worker;
    w->launch->fn(w->launch->params);
    Fiber* f = w->cur;
    f->state = DONE;
    to_scheduler(f);
  }
}

static void reset_fiber(Fiber& f) {
  if (!f.mem) {
    void* m = mmap(nullptr, kStack + kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) abort();
    mprotect(m, kPage, PROT_NONE);  // stack overflow faults instead of corrupting
    f.mem = (char*)m;
  }
  f.sp = initial_frame(f.mem + kPage + kStack);
}

}  // namespace emu

// __syncthreads parks the calling thread until the whole block arrives.
__attribute__((noinline)) static void __syncthreads() {
  if (emu::worker->direct) {  // the kernel was classified barrier-free: a bug
    emu::worker->misplaced = true;
    return;
  }
  emu::Fiber* f = emu::worker->cur;
  f->state = emu::WAITING;
  f->barriers++;
  emu::to_scheduler(f);
}

namespace emu {

// order_of fills w.perm with the order the fibers run in this phase.
static void order_of(Worker& w, unsigned n, int order, unsigned block, unsigned phase) {
  w.perm.resize(n);
  for (unsigned i = 0; i < n; i++) w.perm[i] = order == 1 ? n - 1 - i : i;
  if (order != 2) return;
  uint64_t s = (uint64_t)block * 0x9e3779b97f4a7c15ULL + phase + 1;
  for (unsigned i = n - 1; i > 0; i--) {  // Fisher-Yates, splitmix64
    s += 0x9e3779b97f4a7c15ULL;
    uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    std::swap(w.perm[i], w.perm[z % (i + 1)]);
  }
}

// CUresult codes the scheduler reports.
const int kLaunchFailed = 719;  // CUDA_ERROR_LAUNCH_FAILED

// run_direct runs the threads of a block of a kernel without barriers as
// plain calls, in the launch's order: no thread can wait for another, so
// fibers would change nothing but the cost. A barrier reached anyway fails
// the launch (the classification in emu.Build is wrong).
static int run_direct(Launch& L, Worker& w, unsigned b, unsigned n) {
  if (L.order != 0) order_of(w, n, L.order, b, 0);
  w.direct = true;
  w.misplaced = false;
  for (unsigned k = 0; k < n; k++) {
    unsigned t = L.order != 0 ? w.perm[k] : k;
    threadIdx = {t % L.block.x, t / L.block.x % L.block.y, t / (L.block.x * L.block.y)};
    L.fn(L.params);
  }
  w.direct = false;
  if (w.misplaced) return kLaunchFailed;
  L.threads += n;
  return 0;
}

// run_block runs every thread of block b to completion, barrier phase by
// barrier phase. Threads that reach different numbers of barriers (a
// __syncthreads() some threads skip) are a launch failure, as they would
// hang or corrupt a real GPU.
static int run_block(Launch& L, unsigned b) {
  Worker& w = this_worker();
  unsigned n = L.block.x * L.block.y * L.block.z;
  blockIdx = {b % L.grid.x, b / L.grid.x % L.grid.y, b / (L.grid.x * L.grid.y)};
  blockDim = L.block;
  gridDim = L.grid;
  w.launch = &L;
  if (!L.barriers) return run_direct(L, w, b, n);
  if (w.fibers.size() < n) w.fibers.resize(n);
  for (unsigned t = 0; t < n; t++) {
    Fiber& f = w.fibers[t];
    if (!f.sp) reset_fiber(f);
    f.idx = {t % L.block.x, t / L.block.x % L.block.y, t / (L.block.x * L.block.y)};
    f.state = READY;
    f.barriers = 0;
  }
  for (unsigned phase = 0;; phase++) {
    order_of(w, n, L.order, b, phase);
    unsigned waiting = 0, done = 0;
    for (unsigned k = 0; k < n; k++) {
      Fiber& f = w.fibers[w.perm[k]];
      if (f.state != READY) continue;
      w.cur = &f;
      threadIdx = f.idx;
      emu_switch(&w.sched, f.sp);
      if (f.state == WAITING) waiting++;
    }
    for (unsigned t = 0; t < n; t++) done += w.fibers[t].state == DONE;
    if (waiting == 0 && done == n) break;
    if (done > 0) {  // some threads left while others wait at a barrier
      for (unsigned t = 0; t < n; t++)
        if (w.fibers[t].state == WAITING) reset_fiber(w.fibers[t]);  // abandon its frame
      return kLaunchFailed;
    }
    for (unsigned t = 0; t < n; t++) w.fibers[t].state = READY;
  }
  L.threads += n;
  return 0;
}

// work runs blocks of L until none is left or one failed.
static void work(Launch& L) {
  for (;;) {
    unsigned b = L.next.fetch_add(1);
    if (b >= L.blocks || L.err.load()) return;
    if (int e = run_block(L, b)) L.err = e;
  }
}

// Pool runs a launch's blocks on the calling thread and its helper threads.
class Pool {
 public:
  // run executes L and returns its CUresult.
  int run(Launch& L, unsigned workers) {
    if (workers > 1 && L.blocks > 1) {
      start(workers - 1);
      std::unique_lock<std::mutex> lk(mu_);
      job_ = &L;
      gen_++;
      active_ = helpers_.size();
      lk.unlock();
      wake_.notify_all();
      work(L);
      lk.lock();
      idle_.wait(lk, [&] { return active_ == 0; });
      job_ = nullptr;
    } else {
      work(L);
    }
    return L.err;
  }

 private:
  void start(size_t n) {
    if (helpers_.size() >= n) return;
    // Helpers block every signal: process-directed signals (SIGCHLD, SIGINT)
    // must go to the Go runtime's threads, never to a thread it does not know.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    while (helpers_.size() < n) {
      helpers_.emplace_back([this] { loop(); });
      helpers_.back().detach();
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }

  void loop() {
    unsigned long long seen = 0;
    for (;;) {
      std::unique_lock<std::mutex> lk(mu_);
      wake_.wait(lk, [&] { return gen_ != seen && job_ != nullptr; });
      seen = gen_;
      Launch* L = job_;
      lk.unlock();
      work(*L);
      lk.lock();
      if (--active_ == 0) idle_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_, idle_;
  Launch* job_ = nullptr;
  unsigned long long gen_ = 0;
  size_t active_ = 0;
  std::vector<std::thread> helpers_;
};

}  // namespace emu
