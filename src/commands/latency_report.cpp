// LATENCY GRAPH and LATENCY DOCTOR texts: see latency_report.hpp.
#include "latency_report.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <vector>

#include "kvd/common/strings.hpp"
#include "kvd/engine/memory.hpp"

namespace kvd::commands {

namespace {

constexpr int kGraphColumns = 80;
constexpr int kGraphRows = 4;
constexpr char kThirds[] = "_o#";  // a third, two thirds, a full cell

std::string age_label(int64_t seconds) {
  if (seconds < 60) return std::to_string(seconds) + "s";
  if (seconds < 3600) return std::to_string(seconds / 60) + "m";
  if (seconds < 86400) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

// One block of at most kGraphColumns samples.
void render_block(std::string& out, const std::vector<engine::LatencyMonitor::Sample>& h,
                  size_t from, size_t n, uint32_t lo, uint32_t hi, int64_t now_s) {
  const double span = hi > lo ? hi - lo : 1;
  const int steps = kGraphRows * 3;
  for (int row = 0; row < kGraphRows; ++row) {
    std::string line(n, ' ');
    for (size_t j = 0; j < n; ++j) {
      int level = static_cast<int>((h[from + j].latency_ms - lo) * steps / span);
      level = std::clamp(level, 0, steps - 1);
      // The cell of this row covers levels [base, base + 3).
      const int in_cell = level - (kGraphRows - 1 - row) * 3;
      if (in_cell >= 3) {
        line[j] = '|';
      } else if (in_cell >= 0) {
        line[j] = kThirds[in_cell];
      }
    }
    out += line;
    out += '\n';
  }
  // A blank line, then each column's age written downwards.
  std::vector<std::string> labels;
  size_t longest = 0;
  for (size_t j = 0; j < n; ++j) {
    labels.push_back(age_label(now_s - h[from + j].time));
    longest = std::max(longest, labels.back().size());
  }
  out += std::string(n, ' ');
  out += '\n';
  for (size_t k = 0; k < longest; ++k) {
    std::string line(n, ' ');
    for (size_t j = 0; j < n; ++j) {
      if (k < labels[j].size()) line[j] = labels[j][k];
    }
    out += line;
    out += '\n';
  }
}

// Bytes of transparent huge pages the process holds (0 when unknown).
uint64_t anon_huge_pages() {
  std::ifstream in("/proc/self/smaps_rollup");
  std::string key;
  uint64_t kb = 0;
  while (in >> key) {
    if (key == "AnonHugePages:") {
      in >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

std::string latency_graph(const engine::LatencyMonitor::Series& s, int64_t now_s) {
  const auto h = s.history();
  uint32_t lo = 0, hi = 0;
  if (!h.empty()) {
    lo = hi = h.front().latency_ms;
    for (const auto& x : h) {
      lo = std::min(lo, x.latency_ms);
      hi = std::max(hi, x.latency_ms);
    }
  }
  std::string out = s.event + " - high " + std::to_string(hi) + " ms, low " + std::to_string(lo) +
                    " ms (all time high " + std::to_string(s.max_ms) + " ms)\n";
  out += std::string(kGraphColumns, '-');
  out += '\n';
  for (size_t from = 0; from < h.size(); from += kGraphColumns) {
    if (from) out += '\n';
    render_block(out, h, from, std::min<size_t>(kGraphColumns, h.size() - from), lo, hi, now_s);
  }
  return out;
}

std::string latency_doctor_report(engine::Engine& e, int64_t now_s) {
  const engine::LatencyMonitor& m = e.latency();
  const auto& cfg = e.config().v();
  if (m.empty() && cfg.latency_monitor_threshold == 0) {
    return "Latency monitoring is disabled on this server, so there is nothing to report. "
           "Enable it with \"CONFIG SET latency-monitor-threshold <milliseconds>.\"; see "
           "https://redis.io/topics/latency-monitor for how it works.\n";
  }
  // Advice, each given once, in this order.
  enum Advice {
    kSlowlogOff,
    kSlowlogThreshold,
    kSlowlogRead,
    kScheduler,
    kLocalDisk,
    kDiskContention,
    kHz,
    kBigObjects,
    kMassEviction,
    kForkVm,
    kHugePages,
    kAdviceCount
  };
  bool advise[kAdviceCount] = {};
  std::string out;
  int n = 0;
  for (const auto& s : m.series()) {
    if (n++ == 0) out += "Latency spikes were observed on this server:\n\n";
    const auto a = engine::LatencyMonitor::analyze(s, now_s);
    out += std::to_string(n) + ". " + s.event + ": " + std::to_string(a.samples) +
           " latency spikes (average " + std::to_string(a.avg) + "ms, mean deviation " +
           std::to_string(a.mad) + "ms, period " +
           fmt("%.2f", a.samples ? static_cast<double>(a.period) / a.samples : 0.0) +
           " sec). Worst all time event " + std::to_string(s.max_ms) + "ms.";
    const std::string& ev = s.event;
    if (ev == "fork") {
      // GB of used memory the fork copied the page tables of, per second.
      const int64_t fork_us = e.snapshot_state().latest_fork_usec;
      const double rate = fork_us > 0 ? static_cast<double>(engine::allocator_used_memory()) * 1e6 /
                                            fork_us / (1024.0 * 1024 * 1024)
                                      : 0.0;
      const char* quality = rate < 10    ? "terrible"
                            : rate < 25  ? "poor"
                            : rate < 100 ? "good"
                                         : "excellent";
      if (rate < 25) advise[kForkVm] = true;
      out += " Fork rate is " + fmt("%.2f", rate) + " GB/sec (" + quality + ").";
    } else if (ev == "command") {
      if (cfg.slowlog_log_slower_than < 0) {
        advise[kSlowlogOff] = true;
      } else if (cfg.slowlog_log_slower_than / 1000 > cfg.latency_monitor_threshold) {
        advise[kSlowlogThreshold] = true;
      }
      advise[kSlowlogRead] = advise[kBigObjects] = true;
    } else if (ev == "fast-command") {
      advise[kScheduler] = true;
    } else if (ev == "rdb-unlink-temp-file") {
      advise[kLocalDisk] = advise[kDiskContention] = true;
    } else if (ev == "expire-cycle") {
      advise[kHz] = advise[kBigObjects] = true;
    } else if (ev == "eviction-del") {
      advise[kBigObjects] = true;
    } else if (ev == "eviction-cycle") {
      advise[kMassEviction] = true;
    }
    out += '\n';
  }
  if (anon_huge_pages() > 0) advise[kHugePages] = true;
  const bool any = std::find(std::begin(advise), std::end(advise), true) != std::end(advise);
  if (n == 0 && !any) {
    return "No latency spike was observed since the monitor was enabled or last reset. "
           "Nothing to worry about.\n";
  }
  if (!any) {
    out +=
        "\nNo simple fix can be suggested for these events; a report like this one is a "
        "good start when asking the community for help.\n";
    return out;
  }
  const std::string threshold_us = std::to_string(cfg.latency_monitor_threshold * 1000);
  out += "\nSuggestions:\n\n";
  if (advise[kForkVm])
    out +=
        "- fork() is slow on this machine. On a virtual machine, a hypervisor or an instance "
        "type that forks faster helps; some (Xen) are known to be slow at it.\n";
  if (advise[kSlowlogOff])
    out +=
        "- Slow commands caused spikes but the slow log is off. Turn it on with 'CONFIG SET "
        "slowlog-log-slower-than " +
        threshold_us + "' to see which ones.\n";
  if (advise[kSlowlogThreshold])
    out +=
        "- The slow log only records commands slower than the latency monitor's threshold "
        "would need. Lower it with 'CONFIG SET slowlog-log-slower-than " +
        threshold_us + "'.\n";
  if (advise[kSlowlogRead])
    out +=
        "- SLOWLOG GET lists the commands that took long: see "
        "https://redis.io/commands/slowlog.\n";
  if (advise[kScheduler])
    out +=
        "- Even O(1) commands were slow: the process did not get the CPU for a while. Lower "
        "the load of the machine, give the server a machine of its own, look for noisy "
        "neighbours, and measure the system's own latency with 'redis-cli "
        "--intrinsic-latency 100'.\n";
  if (advise[kLocalDisk])
    out +=
        "- Keep the snapshot directory on a local disk: network disks are slow to write "
        "and unlink big files.\n";
  if (advise[kDiskContention])
    out +=
        "- Other processes writing to the same disk slow file operations down: reduce the "
        "disk contention.\n";
  if (advise[kHz] && cfg.hz < 100)
    out +=
        "- Active expiry does its work in steps of a cron tick: 'CONFIG SET hz 100' makes "
        "the steps smaller.\n";
  if (advise[kBigObjects])
    out +=
        "- Deleting a large value (by DEL, expiry or eviction) takes time in proportion to "
        "its size. Split very large values into smaller keys, or let UNLINK and the lazyfree "
        "options free them in the background.\n";
  if (advise[kMassEviction])
    out +=
        "- Many keys were evicted at once: lowering maxmemory at runtime, or a command "
        "that creates a large value (SUNIONSTORE, SORT ... STORE, RESTORE), can push memory "
        "far over the limit in one step.\n";
  if (advise[kHugePages])
    out +=
        "- The process uses transparent huge pages, which make fork and copy-on-write "
        "slow. Disable them with 'echo never > "
        "/sys/kernel/mm/transparent_hugepage/enabled' and restart the server.\n";
  return out;
}

}  // namespace kvd::commands
