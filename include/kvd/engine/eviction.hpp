#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvd::engine {

class Engine;
class Database;

// maxmemory-policy: which keys may be evicted, and how the next one is chosen.
enum class EvictionPolicy {
  kNoEviction,
  kAllKeysLru,
  kAllKeysLfu,
  kAllKeysRandom,
  kVolatileLru,
  kVolatileLfu,
  kVolatileRandom,
  kVolatileTtl,
};
EvictionPolicy parse_eviction_policy(std::string_view name);
bool is_lfu(EvictionPolicy p);

// Deletes keys until used memory is back under maxmemory, as Redis does before
// each command. LRU, LFU and TTL choose approximately, the way Redis does: a
// few keys sampled from each database (maxmemory-samples) feed a small pool
// of the best candidates seen so far, and the best of the pool goes first. So
// nothing is kept per key beyond the 32-bit stamp in the entry, and each
// eviction costs a few lookups whatever the size of the keyspace.
class Evictor {
 public:
  enum class Result {
    kOk,       // under the limit (or no limit)
    kRunning,  // the time budget ran out first; later calls go on
    kFail,     // over the limit with nothing the policy may evict
  };

  explicit Evictor(Engine& engine) : engine_(engine) {}

  Result perform();
  // Over the limit since the given monotonic time (-1: not over), and the
  // total time spent over it (INFO's *_eviction_exceeded_time, ms).
  int64_t exceeded_since_us() const { return exceeded_since_us_; }
  int64_t exceeded_total_us() const { return exceeded_total_us_; }
  // CONFIG RESETSTAT: a stretch over the limit counts from now on.
  void reset_stats(int64_t now_us) {
    exceeded_total_us_ = 0;
    if (exceeded_since_us_ >= 0) exceeded_since_us_ = now_us;
  }

 private:
  struct Candidate {
    uint64_t score;  // higher goes first: idle time, coldness or closeness to expiry
    int db;
    const struct Entry* entry;  // when sampled: tells a resample apart cheaply
    std::string key;
  };
  static constexpr size_t kPoolSize = 16;

  // The next key to evict: its database and name (false when none may go).
  bool pick(EvictionPolicy policy, int* db, std::string* key);
  bool pick_random(bool volatile_only, int* db, std::string* key);
  // Samples one database into the pool; returns the keys it could sample from.
  size_t populate(EvictionPolicy policy, int db_index);
  void offer(uint64_t score, int db, const struct Entry* e);
  uint64_t score_of(EvictionPolicy policy, Database& db, const struct Entry* e,
                    int64_t now_ms) const;
  void evict(int db, const std::string& key, bool lazy);
  void note_exceeded(bool over, int64_t now_us);

  Engine& engine_;
  std::vector<Candidate> pool_;  // ascending score: the best candidate is last
  // Key buffers of candidates that left the pool, reused for new ones: most
  // keys are a little too long for std::string's inline buffer.
  std::vector<std::string> spare_keys_;
  int next_random_db_ = 0;
  int64_t exceeded_since_us_ = -1;
  int64_t exceeded_total_us_ = 0;
};

}  // namespace kvd::engine
