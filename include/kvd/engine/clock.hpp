#pragma once

#include <chrono>
#include <cstdint>

namespace kvd::engine {

// Time source for everything in the engine (expiry, idle times, stats). Tests
// inject a ManualClock to move time without sleeping.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock milliseconds since the Unix epoch (expiry is absolute time).
  virtual int64_t now_ms() const = 0;
  virtual int64_t now_us() const = 0;
  // Monotonic microseconds, for measuring durations and budgets.
  virtual int64_t monotonic_us() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t now_ms() const override { return now_us() / 1000; }
  int64_t now_us() const override {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  }
  int64_t monotonic_us() const override {
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : us_(start_ms * 1000) {}
  int64_t now_ms() const override { return us_ / 1000; }
  int64_t now_us() const override { return us_; }
  // With a step set, every monotonic read moves time on by it afterwards, so
  // code that times its own work (eviction, the latency monitor) sees it take
  // that long.
  int64_t monotonic_us() const override {
    const int64_t t = us_;
    us_ += monotonic_step_us_;
    return t;
  }
  void advance_ms(int64_t ms) { us_ += ms * 1000; }
  void set_ms(int64_t ms) { us_ = ms * 1000; }
  void set_monotonic_step_us(int64_t us) { monotonic_step_us_ = us; }

 private:
  mutable int64_t us_;
  int64_t monotonic_step_us_ = 0;
};

}  // namespace kvd::engine
