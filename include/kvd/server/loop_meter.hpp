#pragma once

#include <cstdint>

#include "kvd/engine/engine.hpp"

namespace kvd::server {

// Measures the main loop for INFO's eventloop_* fields (Redis 7.2). A cycle is
// one wake-up of the loop that ran work; its duration runs from the first
// handler's start (begin_work) to the end of the handlers that were ready
// (end_cycle), so time asleep waiting for events is not counted.
class LoopMeter {
 public:
  static int64_t now_us();

  // Called at the start of every main-thread handler; cheap when repeated.
  void begin_work() {
    if (cycle_start_us_ == 0) cycle_start_us_ = now_us();
  }
  // Returns the cycle's duration in microseconds, -1 when no work ran.
  int64_t end_cycle();
  // Called by cron: updates the instantaneous figures.
  void sample();

  uint64_t cycles() const { return cycles_; }
  uint64_t duration_sum_us() const { return duration_sum_us_; }
  int64_t cycles_per_sec() const;
  int64_t average_duration_us() const;

 private:
  static constexpr int kSamples = 16;

  int64_t cycle_start_us_ = 0;
  uint64_t cycles_ = 0;
  uint64_t duration_sum_us_ = 0;
  engine::RateSampler cycle_rate_;
  // Average cycle duration per sample period, as Redis tracks it.
  int64_t last_sample_us_ = -1;
  uint64_t last_cycles_ = 0;
  uint64_t last_duration_ = 0;
  double durations_[kSamples] = {};
  int next_ = 0;
  int count_ = 0;
};

}  // namespace kvd::server
