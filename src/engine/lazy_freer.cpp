#include "kvd/engine/lazy_freer.hpp"

#include <pthread.h>

#include "kvd/engine/memory.hpp"

namespace kvd::engine {

LazyFreer::LazyFreer() : thread_([this] { run(); }) {}

LazyFreer::~LazyFreer() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void LazyFreer::submit(std::function<void()> job) {
  {
    std::lock_guard lk(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

size_t LazyFreer::pending() const {
  std::lock_guard lk(mu_);
  return jobs_.size() + running_;
}

uint64_t LazyFreer::freed() const {
  std::lock_guard lk(mu_);
  return freed_;
}

void LazyFreer::reset_freed() {
  std::lock_guard<std::mutex> lock(mu_);
  freed_ = 0;
}

void LazyFreer::drain() {
  std::unique_lock lk(mu_);
  idle_cv_.wait(lk, [this] { return jobs_.empty() && running_ == 0; });
}

void LazyFreer::run() {
  // Named like Redis's bio threads so top -H and the bench can tell it apart.
#if defined(__APPLE__)
  pthread_setname_np("kvd-lazyfree");
#else
  pthread_setname_np(pthread_self(), "kvd-lazyfree");
#endif
  std::unique_lock lk(mu_);
  while (true) {
    cv_.wait(lk, [this] { return stop_ || !jobs_.empty(); });
    if (jobs_.empty() && stop_) return;
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    ++running_;
    lk.unlock();
    job();
    job = nullptr;
    publish_thread_allocations();  // the frees count toward maxmemory at once
    lk.lock();
    --running_;
    ++freed_;
    if (jobs_.empty() && running_ == 0) idle_cv_.notify_all();
  }
}

}  // namespace kvd::engine
