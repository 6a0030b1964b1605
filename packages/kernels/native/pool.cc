#include "pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ML_PAUSE() _mm_pause()
#else
#define ML_PAUSE() std::this_thread::yield()
#endif

#include "common.h"

namespace ml {
namespace {

thread_local bool tl_in_job = false;

struct Job {
  const std::function<void(int64_t, int64_t)>* range_fn = nullptr;
  const std::function<void(int, int)>* run_fn = nullptr;
  int64_t n = 0;
  int64_t chunk = 1;
  std::atomic<int64_t> next{0};
};

class Pool {
 public:
  explicit Pool(int n) : nthreads_(n < 1 ? 1 : n) {
    for (int i = 1; i < nthreads_; ++i) workers_.emplace_back([this, i] { loop(i); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  int size() const { return nthreads_; }

  void run(Job& job) {
    job_ = &job;
    pending_.store(nthreads_ - 1, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lk(mu_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    execute(job, 0);
    // Wait for workers to finish this generation (they decrement pending_ when done).
    int iter = 0;
    while (pending_.load(std::memory_order_acquire) != 0) spin_backoff(iter);
    job_ = nullptr;
  }

 private:
  static void execute(Job& job, int tid) {
    tl_in_job = true;
    if (job.run_fn) {
      (*job.run_fn)(tid, -1);
    } else {
      for (;;) {
        int64_t b = job.next.fetch_add(job.chunk, std::memory_order_relaxed);
        if (b >= job.n) break;
        int64_t e = b + job.chunk < job.n ? b + job.chunk : job.n;
        (*job.range_fn)(b, e);
      }
    }
    tl_in_job = false;
  }

  void loop(int tid) {
    // Generation 0 is the pool's creation. Reading generation_ here instead would lose the first job
    // when the caller posts it before this thread gets to run (under CPU contention): the worker would
    // then wait for a generation that already happened while the caller waits for the worker.
    uint64_t seen = 0;
    for (;;) {
      // Spin for a short while (kernels come in quick succession), then sleep.
      auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
      uint64_t g;
      int iter = 0;
      while ((g = generation_.load(std::memory_order_acquire)) == seen) {
        if (iter < 4096) ML_PAUSE();
        else std::this_thread::yield();
        if (((++iter) & 255) == 0 && std::chrono::steady_clock::now() > spin_until) {
          std::unique_lock<std::mutex> lk(mu_);
          cv_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        }
      }
      seen = g;
      if (stop_) return;
      Job* job = job_;
      if (job) {
        if (job->run_fn) {
          tl_in_job = true;
          (*job->run_fn)(tid, nthreads_);
          tl_in_job = false;
        } else {
          execute(*job, tid);
        }
      }
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  int nthreads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  Job* volatile job_ = nullptr;
  bool stop_ = false;
};

int default_threads() {
  if (const char* s = std::getenv("MECHLENS_THREADS")) {
    int v = std::atoi(s);
    if (v >= 1) return v;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc);
}

Pool* g_pool = nullptr;
std::mutex g_pool_mu;

Pool& pool() {
  if (!g_pool) {
    std::lock_guard<std::mutex> lk(g_pool_mu);
    if (!g_pool) g_pool = new Pool(default_threads());
  }
  return *g_pool;
}

}  // namespace

int num_threads() { return pool().size(); }

void set_num_threads(int n) {
  std::lock_guard<std::mutex> lk(g_pool_mu);
  Pool* old = g_pool;
  g_pool = new Pool(n);
  delete old;  // joins the old workers: no stale task can run after this returns
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  Pool& p = pool();
  if (tl_in_job || p.size() == 1 || n <= grain) {
    fn(0, n);
    return;
  }
  // About 4 chunks per thread for load balance, never below the grain.
  int64_t chunk = (n + p.size() * 4 - 1) / (p.size() * 4);
  if (chunk < grain) chunk = grain;
  Job job;
  job.range_fn = &fn;
  job.n = n;
  job.chunk = chunk;
  p.run(job);
}

void parallel_run(const std::function<void(int, int)>& fn) {
  Pool& p = pool();
  if (tl_in_job || p.size() == 1) {
    fn(0, 1);
    return;
  }
  int nt = p.size();
  std::function<void(int, int)> wrapped = [&](int tid, int) { fn(tid, nt); };
  Job job;
  job.run_fn = &wrapped;
  p.run(job);
}

}  // namespace ml
