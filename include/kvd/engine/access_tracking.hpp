#pragma once

#include <cstdint>

#include "kvd/engine/dict.hpp"

namespace kvd::engine {

// What Entry::lru holds, which depends on maxmemory-policy as in Redis.
//
// LRU (and every non-LFU policy): the seconds clock of the key's last access,
// for OBJECT IDLETIME and LRU eviction.
//
// LFU: a 16-bit minutes clock in bits 8..23 and an 8-bit access counter in
// bits 0..7. The counter is logarithmic: each access raises it with a chance
// that shrinks as it grows (lfu-log-factor), so 255 stands for about a million
// hits at the default factor. It loses one for every lfu-decay-time minutes
// the key goes unread, so a key that was hot once cools down.
struct AccessTracking {
  static constexpr uint8_t kLfuInitial = 5;  // new keys are not evicted at once

  bool lfu = false;
  int64_t log_factor = 10;
  int64_t decay_minutes = 1;

  // The stamp of a key created now.
  uint32_t initial(int64_t now_ms) const {
    return lfu ? lfu_stamp(now_ms, kLfuInitial) : static_cast<uint32_t>(now_ms / 1000);
  }
  // A read or write of the key.
  void touch(Entry* e, int64_t now_ms) const {
    if (lfu) {
      touch_lfu(e, now_ms);
    } else {
      e->lru = static_cast<uint32_t>(now_ms / 1000);
    }
  }
  // A key restored with hints (RESTORE IDLETIME/FREQ, an RDB file's IDLE and
  // FREQ): each applies under the policy that keeps it, as in Redis; -1 is
  // "no hint".
  void restore(Entry* e, int64_t now_ms, int64_t idle_seconds, int64_t freq) const {
    if (lfu && freq >= 0) {
      e->lru = lfu_stamp(now_ms, static_cast<uint8_t>(freq > 255 ? 255 : freq));
    } else if (!lfu && idle_seconds >= 0) {
      int64_t at = now_ms / 1000 - idle_seconds;
      e->lru = static_cast<uint32_t>(at > 0 ? at : 0);
    }
  }
  // LFU: the counter after decay (what OBJECT FREQ reports and eviction ranks).
  uint8_t frequency(uint32_t stamp, int64_t now_ms) const;
  // LFU: a stamp with this counter (RESTORE ... FREQ).
  static uint32_t lfu_stamp(int64_t now_ms, uint8_t counter);
  // LRU: milliseconds since the access stamped.
  static int64_t idle_ms(uint32_t stamp, int64_t now_ms) {
    int64_t idle = now_ms - static_cast<int64_t>(stamp) * 1000;
    return idle > 0 ? idle : 0;
  }

 private:
  void touch_lfu(Entry* e, int64_t now_ms) const;
};

}  // namespace kvd::engine
