// Per-command latency histogram: see engine/latency_histogram.hpp.
#include "kvd/engine/latency_histogram.hpp"

namespace kvd::engine {

LatencyHistogram& LatencyHistogram::operator=(const LatencyHistogram& o) {
  if (this == &o) return *this;
  total_ = o.total_;
  blocks_.reset();
  if (!o.blocks_) return *this;
  blocks_ = std::make_unique<Blocks>();
  for (size_t b = 0; b < kBlocks; ++b) {
    if (!(*o.blocks_)[b]) continue;
    (*blocks_)[b].reset(new uint64_t[kSlotsPerBlock]);
    for (int i = 0; i < kSlotsPerBlock; ++i) (*blocks_)[b][i] = (*o.blocks_)[b][i];
  }
  return *this;
}

int64_t LatencyHistogram::lowest_of(int slot) {
  if (slot < 2 * kSlotsPerBlock) return slot;
  const int shift = slot / kSlotsPerBlock - 1;
  return static_cast<int64_t>(slot - shift * kSlotsPerBlock) << shift;
}

int64_t LatencyHistogram::highest_of(int slot) {
  if (slot < 2 * kSlotsPerBlock) return slot;
  const int shift = slot / kSlotsPerBlock - 1;
  return lowest_of(slot) + (int64_t{1} << shift) - 1;
}

int64_t LatencyHistogram::value_at_percentile(double percentile) const {
  const double p = percentile < 100.0 ? percentile : 100.0;
  int64_t wanted = static_cast<int64_t>(p / 100 * static_cast<double>(total_) + 0.5);
  if (wanted < 1) wanted = 1;
  if (!blocks_) return 0;  // empty: 0, as Redis answers
  uint64_t seen = 0;
  for (int b = 0; b < kBlocks; ++b) {
    const auto& block = (*blocks_)[static_cast<size_t>(b)];
    if (!block) continue;  // INFO walks every command: skip unused ranges whole
    for (int i = 0; i < kSlotsPerBlock; ++i) {
      seen += block[i];
      if (seen >= static_cast<uint64_t>(wanted)) {
        const int slot = b * kSlotsPerBlock + i;
        return percentile == 0.0 ? lowest_of(slot) : highest_of(slot);
      }
    }
  }
  return 0;
}

std::vector<std::pair<int64_t, uint64_t>> LatencyHistogram::cumulative_usec() const {
  std::vector<std::pair<int64_t, uint64_t>> out;
  if (total_ == 0) return out;
  uint64_t seen = 0;
  uint64_t reported = 0;
  int slot = 0;
  for (int64_t step = 1024;; step *= 2) {
    // Steps past the table end at its last slot.
    int last = step <= kMaxValue * 2 ? slot_of(step) : kSlots - 1;
    if (last >= kSlots) last = kSlots - 1;
    for (; slot <= last; ++slot) seen += count_at(slot);
    if (seen > reported) {
      out.emplace_back(highest_of(last) / 1000, seen);
      reported = seen;
    }
    if (seen == total_ || last == kSlots - 1) break;
  }
  return out;
}

}  // namespace kvd::engine
