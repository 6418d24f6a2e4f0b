#include "fsync_thread.hpp"

#include <unistd.h>

#include <cerrno>

namespace kvd::persist::aof {

FsyncThread::FsyncThread() : thread_([this] { run(); }) {}

FsyncThread::~FsyncThread() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void FsyncThread::submit(int fd, bool close_after) {
  pending_.fetch_add(1, std::memory_order_acq_rel);
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(Job{fd, close_after});
  }
  cv_.notify_one();
}

void FsyncThread::drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
}

void FsyncThread::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, nothing left
    Job job = jobs_.front();
    jobs_.pop_front();
    lock.unlock();
    const int rc = ::fdatasync(job.fd);
    last_errno_.store(rc == 0 ? 0 : errno, std::memory_order_release);
    if (job.close_after) ::close(job.fd);
    lock.lock();
    pending_.fetch_sub(1, std::memory_order_acq_rel);
    idle_cv_.notify_all();
  }
}

}  // namespace kvd::persist::aof
