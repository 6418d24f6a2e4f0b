#include "kvd/server/output_limits.hpp"

namespace kvd::server {

size_t pause_output_bytes(const engine::Config& config) {
  int64_t hard = config.v().obuf_normal.hard;
  return hard > static_cast<int64_t>(kPauseOutputBytes) ? static_cast<size_t>(hard)
                                                        : kPauseOutputBytes;
}

bool OutputLimitWatch::exceeded(const engine::OutputLimit& limit, size_t used, int64_t now_ms) {
  const auto bytes = static_cast<int64_t>(used);
  const bool hard = limit.hard > 0 && bytes >= limit.hard;
  bool soft = false;
  if (limit.soft > 0 && bytes >= limit.soft) {
    if (over_soft_since_ms_ < 0) over_soft_since_ms_ = now_ms;
    soft = now_ms - over_soft_since_ms_ >= limit.soft_seconds * 1000;
  } else {
    over_soft_since_ms_ = -1;
  }
  return hard || soft;
}

}  // namespace kvd::server
