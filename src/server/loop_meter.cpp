#include "kvd/server/loop_meter.hpp"

#include <chrono>

namespace kvd::server {

int64_t LoopMeter::now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t LoopMeter::end_cycle() {
  if (cycle_start_us_ == 0) return -1;
  int64_t d = now_us() - cycle_start_us_;
  if (d < 0) d = 0;
  ++cycles_;
  duration_sum_us_ += static_cast<uint64_t>(d);
  cycle_start_us_ = 0;
  return d;
}

void LoopMeter::sample() {
  int64_t now = now_us();
  cycle_rate_.sample(now, cycles_);
  if (last_sample_us_ >= 0 && cycles_ > last_cycles_) {
    durations_[next_] = static_cast<double>(duration_sum_us_ - last_duration_) /
                        static_cast<double>(cycles_ - last_cycles_);
    next_ = (next_ + 1) % kSamples;
    if (count_ < kSamples) ++count_;
  } else if (last_sample_us_ >= 0) {
    durations_[next_] = 0;
    next_ = (next_ + 1) % kSamples;
    if (count_ < kSamples) ++count_;
  }
  last_sample_us_ = now;
  last_cycles_ = cycles_;
  last_duration_ = duration_sum_us_;
}

int64_t LoopMeter::cycles_per_sec() const {
  return static_cast<int64_t>(cycle_rate_.per_second() + 0.5);
}

int64_t LoopMeter::average_duration_us() const {
  if (count_ == 0) return 0;
  double sum = 0;
  for (int i = 0; i < count_; ++i) sum += durations_[i];
  return static_cast<int64_t>(sum / count_ + 0.5);
}

}  // namespace kvd::server
