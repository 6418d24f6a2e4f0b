#include "kvd/engine/access_tracking.hpp"

#include "kvd/engine/database.hpp"

namespace kvd::engine {

namespace {

constexpr uint32_t kMinutesMask = 0xFFFF;

uint32_t minutes_now(int64_t now_ms) {
  return static_cast<uint32_t>(now_ms / 60000) & kMinutesMask;
}

// Minutes from a 16-bit stamp to now, across the clock's wrap (every ~45 days).
uint32_t minutes_since(uint32_t then, int64_t now_ms) {
  uint32_t now = minutes_now(now_ms);
  return now >= then ? now - then : kMinutesMask - then + now;
}

}  // namespace

uint32_t AccessTracking::lfu_stamp(int64_t now_ms, uint8_t counter) {
  return (minutes_now(now_ms) << 8) | counter;
}

uint8_t AccessTracking::frequency(uint32_t stamp, int64_t now_ms) const {
  uint32_t counter = stamp & 0xFF;
  if (decay_minutes <= 0) return static_cast<uint8_t>(counter);
  uint64_t periods =
      minutes_since((stamp >> 8) & kMinutesMask, now_ms) / static_cast<uint64_t>(decay_minutes);
  return static_cast<uint8_t>(periods >= counter ? 0 : counter - periods);
}

void AccessTracking::touch_lfu(Entry* e, int64_t now_ms) const {
  uint32_t counter = frequency(e->lru, now_ms);
  if (counter < 255) {
    // The chance of a step is 1 / ((counter - initial) * factor + 1).
    double base = counter > kLfuInitial ? counter - kLfuInitial : 0;
    double p = 1.0 / (base * static_cast<double>(log_factor) + 1.0);
    double r = static_cast<double>(fast_random() >> 11) * 0x1.0p-53;
    if (r < p) ++counter;
  }
  e->lru = lfu_stamp(now_ms, static_cast<uint8_t>(counter));
}

}  // namespace kvd::engine
