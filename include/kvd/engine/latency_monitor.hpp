#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvd::engine {

// The latency monitor (LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR):
// for each event class ("command", "fast-command", "expire-cycle", "fork",
// ...), the last 160 seconds that had a spike, at most one sample per second
// (the worst of that second), and the worst spike since the last reset.
//
// The engine adds a sample only when latency-monitor-threshold is set and
// the latency reached it (Engine::note_latency); this class keeps whatever it
// is given. Times are Unix seconds passed in by the caller: no clock here.
class LatencyMonitor {
 public:
  static constexpr size_t kHistory = 160;

  struct Sample {
    int64_t time = 0;  // Unix seconds; 0 = an unused slot
    uint32_t latency_ms = 0;
  };

  // One event class: a ring of samples, `next` the slot the next one takes.
  struct Series {
    std::string event;
    size_t next = 0;
    uint32_t max_ms = 0;  // worst since the series was created
    std::array<Sample, kHistory> samples{};

    const Sample& latest() const { return samples[(next + kHistory - 1) % kHistory]; }
    // The used samples, oldest first.
    std::vector<Sample> history() const;
  };

  // What LATENCY DOCTOR says of a series.
  struct Analysis {
    uint32_t samples = 0;
    uint32_t avg = 0, min = 0, max = 0;
    uint32_t mad = 0;    // mean absolute deviation from avg
    int64_t period = 0;  // seconds from the oldest sample to now (at least 1)
  };

  void add(std::string_view event, uint64_t latency_ms, int64_t now_s);
  // Drops the series named `event` (case-insensitive); returns how many went.
  size_t reset(std::string_view event);
  size_t reset_all();

  // Exact name, as Redis looks events up for HISTORY and GRAPH.
  const Series* find(std::string_view event) const;
  // In the order the events first happened.
  const std::vector<Series>& series() const { return series_; }
  bool empty() const { return series_.empty(); }

  static Analysis analyze(const Series& s, int64_t now_s);

 private:
  std::vector<Series> series_;
};

}  // namespace kvd::engine
