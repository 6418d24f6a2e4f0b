// The latency monitor's time series: see engine/latency_monitor.hpp.
#include "kvd/engine/latency_monitor.hpp"

#include <algorithm>

#include "kvd/common/strings.hpp"

namespace kvd::engine {

std::vector<LatencyMonitor::Sample> LatencyMonitor::Series::history() const {
  std::vector<Sample> out;
  for (size_t i = 0; i < kHistory; ++i) {
    const Sample& s = samples[(next + i) % kHistory];
    if (s.time != 0) out.push_back(s);
  }
  return out;
}

void LatencyMonitor::add(std::string_view event, uint64_t latency_ms, int64_t now_s) {
  const uint32_t ms = static_cast<uint32_t>(std::min<uint64_t>(latency_ms, UINT32_MAX));
  auto it = std::find_if(series_.begin(), series_.end(),
                         [&](const Series& s) { return s.event == event; });
  if (it == series_.end()) {
    series_.push_back(Series{std::string(event)});
    it = series_.end() - 1;
  }
  Series& s = *it;
  s.max_ms = std::max(s.max_ms, ms);
  // One sample per second: a second spike in the same second only raises it.
  Sample& last = s.samples[(s.next + kHistory - 1) % kHistory];
  if (last.time == now_s) {
    last.latency_ms = std::max(last.latency_ms, ms);
    return;
  }
  s.samples[s.next] = Sample{now_s, ms};
  s.next = (s.next + 1) % kHistory;
}

size_t LatencyMonitor::reset(std::string_view event) {
  const size_t before = series_.size();
  std::erase_if(series_, [&](const Series& s) { return iequals(s.event, event); });
  return before - series_.size();
}

size_t LatencyMonitor::reset_all() {
  const size_t n = series_.size();
  series_.clear();
  return n;
}

const LatencyMonitor::Series* LatencyMonitor::find(std::string_view event) const {
  for (const Series& s : series_) {
    if (s.event == event) return &s;
  }
  return nullptr;
}

LatencyMonitor::Analysis LatencyMonitor::analyze(const Series& s, int64_t now_s) {
  Analysis a;
  const std::vector<Sample> h = s.history();
  if (h.empty()) return a;
  uint64_t sum = 0;
  int64_t oldest = h.front().time;
  a.min = a.max = h.front().latency_ms;
  for (const Sample& x : h) {
    sum += x.latency_ms;
    a.min = std::min(a.min, x.latency_ms);
    a.max = std::max(a.max, x.latency_ms);
    oldest = std::min(oldest, x.time);
  }
  a.samples = static_cast<uint32_t>(h.size());
  a.avg = static_cast<uint32_t>(sum / h.size());
  a.period = std::max<int64_t>(now_s - oldest, 1);
  uint64_t deviation = 0;
  for (const Sample& x : h) {
    const int64_t d = static_cast<int64_t>(a.avg) - x.latency_ms;
    deviation += static_cast<uint64_t>(d < 0 ? -d : d);
  }
  a.mad = static_cast<uint32_t>(deviation / h.size());
  return a;
}

}  // namespace kvd::engine
