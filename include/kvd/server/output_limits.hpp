#pragma once

#include <cstddef>
#include <cstdint>

#include "kvd/engine/config.hpp"

namespace kvd::server {

// The backpressure and client-output-buffer-limit decisions, apart from any
// socket so that they can be tested alone.

// Reading pauses while this many reply bytes wait for a client, or the normal
// class's hard limit when one is configured above it: a configured hard limit
// above the default bound means the operator accepts that much buffering, and
// the client then runs until the limit disconnects it, as in Redis. Without a
// limit, backpressure alone bounds the memory. The bound is high enough
// for clients that write a whole pipeline before reading any reply (Redis's
// Tcl deferring client, redis-py's pipeline): they would deadlock at a bound
// they can reach, since Redis, which they were written for, has none.
constexpr size_t kPauseOutputBytes = 64 * 1024 * 1024;
size_t pause_output_bytes(const engine::Config& config);

// One client's standing against its class's client-output-buffer-limit.
class OutputLimitWatch {
 public:
  // True when a client holding `used` reply bytes must be dropped: at or over
  // the hard limit, or over the soft limit for soft_seconds without a break.
  bool exceeded(const engine::OutputLimit& limit, size_t used, int64_t now_ms);
  // Over the soft limit now (cron re-checks such clients as time passes).
  bool over_soft() const { return over_soft_since_ms_ >= 0; }

 private:
  int64_t over_soft_since_ms_ = -1;  // -1: under the soft limit
};

}  // namespace kvd::server
