#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace kvd::engine {

// A background thread that frees memory handed to it (UNLINK of a big value,
// FLUSHALL ASYNC), so the command loop never spends milliseconds in free().
class LazyFreer {
 public:
  LazyFreer();
  ~LazyFreer();
  LazyFreer(const LazyFreer&) = delete;
  LazyFreer& operator=(const LazyFreer&) = delete;

  void submit(std::function<void()> job);
  // Jobs queued or running (INFO lazyfree_pending_objects).
  size_t pending() const;
  uint64_t freed() const;
  // CONFIG RESETSTAT zeroes lazyfreed_objects.
  void reset_freed();
  // Waits until the queue is empty (tests, shutdown).
  void drain();

 private:
  void run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> jobs_;
  size_t running_ = 0;
  uint64_t freed_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

// Values with more elements than this are freed in the background on UNLINK.
inline constexpr size_t kLazyFreeThreshold = 64;

}  // namespace kvd::engine
