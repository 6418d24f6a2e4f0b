#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

// The background thread of `appendfsync everysec`: fsyncs (and closes, for
// an incr file a rewrite retired) file descriptors so that the command
// thread never waits on the disk.
namespace kvd::persist::aof {

class FsyncThread {
 public:
  FsyncThread();
  ~FsyncThread();
  // Queues an fdatasync of fd; `close_after` closes it once done.
  void submit(int fd, bool close_after);
  // Jobs queued or running (INFO aof_pending_bio_fsync).
  uint64_t pending() const { return pending_.load(std::memory_order_acquire); }
  // The last fsync failed (errno), 0 when it succeeded.
  int last_error() const { return last_errno_.load(std::memory_order_acquire); }
  // Waits until every queued job ran.
  void drain();

 private:
  struct Job {
    int fd;
    bool close_after;
  };
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<Job> jobs_;
  std::atomic<uint64_t> pending_{0};
  std::atomic<int> last_errno_{0};
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace kvd::persist::aof
