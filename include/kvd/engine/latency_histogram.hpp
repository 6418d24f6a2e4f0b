#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace kvd::engine {

// A per-command latency histogram (LATENCY HISTOGRAM, INFO latencystats).
//
// Values are nanoseconds, clamped to [1 ns, 1 s] as Redis clamps them. The
// layout is log-linear with the resolution Redis reports (2 significant
// digits): values below 256 have a slot each; above, each power of two
// [2^k, 2^(k+1)) is cut into 128 equal slots, so a slot is at most 1/128 of
// its value wide. Reported figures are a slot's highest value, so they match
// redis-server's for the same durations.
//
// The 24 power-of-two ranges own 128 counters each, allocated on first use:
// a command whose calls all take 1-100 us holds 7 of them (7 KB), one never
// called holds nothing. record() is a few instructions: no division, no loop.
class LatencyHistogram {
 public:
  static constexpr int64_t kMinValue = 1;
  static constexpr int64_t kMaxValue = 1'000'000'000;

  LatencyHistogram() = default;
  LatencyHistogram(const LatencyHistogram& o) { *this = o; }
  LatencyHistogram& operator=(const LatencyHistogram& o);
  LatencyHistogram(LatencyHistogram&&) noexcept = default;
  LatencyHistogram& operator=(LatencyHistogram&&) noexcept = default;

  void record(int64_t ns) {
    if (ns < kMinValue) ns = kMinValue;
    if (ns > kMaxValue) ns = kMaxValue;
    const int slot = slot_of(ns);
    if (!blocks_) blocks_ = std::make_unique<Blocks>();
    auto& block = (*blocks_)[static_cast<size_t>(slot >> kSlotBits)];
    if (!block) block.reset(new uint64_t[kSlotsPerBlock]());
    ++block[slot & (kSlotsPerBlock - 1)];
    ++total_;
  }

  uint64_t total() const { return total_; }
  bool empty() const { return total_ == 0; }

  // The value at `percentile` (0..100), as Redis's INFO latencystats gives
  // it: the highest value of the slot where the cumulative count reaches the
  // percentile's share of the calls (the lowest value for percentile 0).
  int64_t value_at_percentile(double percentile) const;

  // LATENCY HISTOGRAM's buckets: for each power-of-two step from 1024 ns on,
  // (the step's highest equivalent value in us, calls that took at most
  // that long), only the steps whose count grew, up to the step that holds
  // the slowest call.
  std::vector<std::pair<int64_t, uint64_t>> cumulative_usec() const;

  // Slot arithmetic, public for the tests.
  static int slot_of(int64_t v) {
    if (v < 2 * kSlotsPerBlock) return static_cast<int>(v);
    const int shift = 63 - __builtin_clzll(static_cast<uint64_t>(v)) - kSlotBits;
    return shift * kSlotsPerBlock + static_cast<int>(v >> shift);
  }
  static int64_t lowest_of(int slot);
  static int64_t highest_of(int slot);

 private:
  static constexpr int kSlotBits = 7;
  static constexpr int kSlotsPerBlock = 1 << kSlotBits;  // 128
  // 1 s lies in the range [2^29, 2^30): slot 22 * 128 + 238. Block 23 holds
  // the rest of that range.
  static constexpr int kBlocks = 24;
  static constexpr int kSlots = kBlocks * kSlotsPerBlock;
  using Blocks = std::array<std::unique_ptr<uint64_t[]>, kBlocks>;

  uint64_t count_at(int slot) const {
    if (!blocks_) return 0;
    const auto& block = (*blocks_)[static_cast<size_t>(slot >> kSlotBits)];
    return block ? block[slot & (kSlotsPerBlock - 1)] : 0;
  }

  std::unique_ptr<Blocks> blocks_;
  uint64_t total_ = 0;
};

}  // namespace kvd::engine
