#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace kvd::engine {

struct Client;

// The loop-stall watchdog's notes (loop-stall-threshold-ms): what took
// longest in the current round of the event loop, so that a round longer than
// the threshold can be logged with its cause. Off (threshold 0) it costs one
// branch per command. Redis's watchdog-period logs a stack trace from a
// signal handler; this names the command, its client and keys, or the cron
// phase, which is what an operator needs to find the culprit.
class StallWatch {
 public:
  void set_threshold_ms(int64_t ms) { threshold_us_ = ms > 0 ? ms * 1000 : 0; }
  bool on() const { return threshold_us_ > 0; }
  int64_t threshold_us() const { return threshold_us_; }

  // A command ran that is not the round's longest.
  void count_command() { ++commands_; }
  // Whether work of `us` microseconds would be the round's longest.
  bool longest_so_far(int64_t us) const { return us > longest_us_; }
  // A command of `client` ran for `us` microseconds; `keys` is its key count
  // and `first_key` its first key (empty without keys).
  void note_command(const Client& client, std::string_view name, size_t keys,
                    std::string_view first_key, int64_t us);
  // Other work in the round (a cron phase, a replica transfer step).
  void note(std::string_view what, int64_t us);
  // A new round begins (after the last one was checked).
  void reset_round();

  // The round took `round_us`: if that is over the threshold, counts the
  // stall and returns the log line (empty otherwise).
  std::string end_round(int64_t round_us);

  uint64_t stalls() const { return stalls_; }
  int64_t longest_stall_us() const { return longest_stall_us_; }

 private:
  int64_t threshold_us_ = 0;
  // This round.
  uint64_t commands_ = 0;
  int64_t longest_us_ = 0;
  std::string longest_;  // what it was, ready for the log
  // Totals.
  uint64_t stalls_ = 0;
  int64_t longest_stall_us_ = 0;
};

}  // namespace kvd::engine
