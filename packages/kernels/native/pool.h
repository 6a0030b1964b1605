// A persistent thread pool shared by every kernel: workers spin briefly after each job, then sleep.
// Work is split into chunks claimed dynamically (an atomic counter), so a core busy with V8's garbage
// collector simply claims fewer chunks. The calling thread always takes part.
#pragma once
#include <cstdint>
#include <functional>
#include <thread>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace ml {

// Number of threads (including the caller) that parallel_for uses.
int num_threads();
// Re-creates the pool with n threads (n >= 1). Safe between kernel calls only.
void set_num_threads(int n);

// Calls fn(begin, end) on disjoint chunks covering [0, n); chunks have at least `grain` items.
// Runs inline when n is small, when only one thread is configured, or when called from inside a job.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// Calls fn(thread_index, thread_count) exactly once on each pool thread (the caller is index 0).
void parallel_run(const std::function<void(int, int)>& fn);

// One step of a spin-wait: a pause instruction for the first iterations, then yielding the core. When
// more threads are runnable than there are cores (two processes, vitest forks), a thread waiting for a
// descheduled sibling must give its core away, or each wait costs a whole scheduler time slice.
inline void spin_backoff(int& iter) {
  if (iter < 2048) {
    ++iter;
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
  } else {
    std::this_thread::yield();
  }
}

}  // namespace ml
