#include "kvd/engine/eviction.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "kvd/engine/access_tracking.hpp"
#include "kvd/engine/database.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/key_size.hpp"
#include "kvd/engine/memory.hpp"
#include "kvd/engine/tracking.hpp"

namespace kvd::engine {

EvictionPolicy parse_eviction_policy(std::string_view name) {
  if (name == "allkeys-lru") return EvictionPolicy::kAllKeysLru;
  if (name == "allkeys-lfu") return EvictionPolicy::kAllKeysLfu;
  if (name == "allkeys-random") return EvictionPolicy::kAllKeysRandom;
  if (name == "volatile-lru") return EvictionPolicy::kVolatileLru;
  if (name == "volatile-lfu") return EvictionPolicy::kVolatileLfu;
  if (name == "volatile-random") return EvictionPolicy::kVolatileRandom;
  if (name == "volatile-ttl") return EvictionPolicy::kVolatileTtl;
  return EvictionPolicy::kNoEviction;
}

bool is_lfu(EvictionPolicy p) {
  return p == EvictionPolicy::kAllKeysLfu || p == EvictionPolicy::kVolatileLfu;
}

namespace {

bool volatile_only(EvictionPolicy p) {
  return p == EvictionPolicy::kVolatileLru || p == EvictionPolicy::kVolatileLfu ||
         p == EvictionPolicy::kVolatileRandom || p == EvictionPolicy::kVolatileTtl;
}

// How long one call may evict before leaving the rest for later calls, from
// maxmemory-eviction-tenacity: 0..10 is linear up to 500 us, then it grows by
// 15% a step, and 100 means no limit (Redis's scale).
int64_t time_limit_us(int64_t tenacity) {
  if (tenacity <= 10) return 50 * tenacity;
  if (tenacity < 100) return static_cast<int64_t>(500.0 * std::pow(1.15, tenacity - 10));
  return std::numeric_limits<int64_t>::max();
}

// Up to n keys of the database from a random place: from every key, or only
// those with a TTL.
size_t sample_keys(Database& db, bool volatile_only, size_t n, Entry** out) {
  if (!volatile_only) return db.dict().sample(n, out, &fast_random);
  TtlIndex& ttl = db.ttl_index();
  if (ttl.empty()) return 0;
  size_t cursor = static_cast<size_t>(fast_random());
  int64_t when;
  size_t got = 0;
  for (; got < n && got < ttl.size(); ++got) {
    out[got] = ttl.at_cursor(&cursor, &when);
    ++cursor;
  }
  return got;
}

// A random key of the database: from every key, or only those with a TTL.
Entry* random_key(Database& db, bool volatile_only) {
  if (!volatile_only) return db.dict().random_entry(&fast_random);
  if (db.ttl_index().empty()) return nullptr;
  size_t cursor = static_cast<size_t>(fast_random());
  int64_t when;
  return db.ttl_index().at_cursor(&cursor, &when);
}

}  // namespace

uint64_t Evictor::score_of(EvictionPolicy policy, Database& db, const Entry* e,
                           int64_t now_ms) const {
  switch (policy) {
    case EvictionPolicy::kAllKeysLfu:
    case EvictionPolicy::kVolatileLfu:
      return 255 - engine_.access_tracking().frequency(e->lru, now_ms);
    case EvictionPolicy::kVolatileTtl:
      // The sooner it expires, the better a candidate.
      return std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(db.expire_of(e));
    default:
      return static_cast<uint64_t>(AccessTracking::idle_ms(e->lru, now_ms));
  }
}

void Evictor::offer(uint64_t score, int db, const Entry* e) {
  for (const auto& c : pool_) {
    // Sampled again: keep the one candidate. (An address reused by another
    // key since only costs that key its place in this round.)
    if (c.entry == e && c.db == db) return;
  }
  std::string key;
  if (pool_.size() == kPoolSize) {
    if (score <= pool_.front().score) return;  // worse than everything kept
    key = std::move(pool_.front().key);
    pool_.erase(pool_.begin());
  } else if (!spare_keys_.empty()) {
    key = std::move(spare_keys_.back());
    spare_keys_.pop_back();
  }
  key.assign(e->key());
  auto at = std::upper_bound(pool_.begin(), pool_.end(), score,
                             [](uint64_t s, const Candidate& c) { return s < c.score; });
  pool_.insert(at, Candidate{score, db, e, std::move(key)});
}

size_t Evictor::populate(EvictionPolicy policy, int db_index) {
  Database& db = engine_.db(db_index);
  const bool vol = volatile_only(policy);
  const size_t keys = vol ? db.expires() : db.size();
  if (keys == 0) return 0;
  const int64_t now_ms = engine_.clock().now_ms();
  Entry* sampled[64];  // maxmemory-samples is at most 64
  const size_t n =
      sample_keys(db, vol, static_cast<size_t>(engine_.config().v().maxmemory_samples), sampled);
  for (size_t i = 0; i < n; ++i)
    offer(score_of(policy, db, sampled[i], now_ms), db_index, sampled[i]);
  return keys;
}

bool Evictor::pick(EvictionPolicy policy, int* db, std::string* key) {
  const bool vol = volatile_only(policy);
  if (policy == EvictionPolicy::kAllKeysRandom || policy == EvictionPolicy::kVolatileRandom) {
    return pick_random(vol, db, key);
  }
  while (true) {
    size_t total = 0;
    for (int i = 0; i < engine_.db_count(); ++i) total += populate(policy, i);
    if (total == 0) return false;
    // The best candidate that still exists (and still has a TTL, for the
    // volatile policies): entries go stale as keys change between calls.
    while (!pool_.empty()) {
      Candidate c = std::move(pool_.back());
      pool_.pop_back();
      Entry* e = engine_.db(c.db).find_raw(c.key);
      const bool found = e && (!vol || e->has_ttl);
      if (found) {
        *db = c.db;
        key->swap(c.key);  // the caller's old buffer becomes a spare
      }
      if (spare_keys_.size() < kPoolSize) spare_keys_.push_back(std::move(c.key));
      if (found) return true;
    }
  }
}

bool Evictor::pick_random(bool vol, int* db, std::string* key) {
  const int n = engine_.db_count();
  for (int i = 0; i < n; ++i) {
    int index = next_random_db_;
    next_random_db_ = (next_random_db_ + 1) % n;
    if (Entry* e = random_key(engine_.db(index), vol)) {
      *db = index;
      *key = std::string(e->key());
      return true;
    }
  }
  return false;
}

void Evictor::evict(int db_index, const std::string& key, bool lazy) {
  Database& db = engine_.db(db_index);
  if (lazy) {
    db.remove(key);
  } else if (Entry* e = db.detach(key)) {
    Entry::destroy(e);
  }
  ++engine_.stats().evicted_keys;
  if (engine_.propagation().active())
    engine_.propagation().emit(db_index, effect_argv({lazy ? "UNLINK" : "DEL", key}));
  {
    Tracking::ServerChange by_server(engine_.tracking());
    engine_.signal_modified_key(db_index, key);
  }
  engine_.notify_keyspace_event('e', "evicted", key, db_index);
}

void Evictor::note_exceeded(bool over, int64_t now_us) {
  if (over && exceeded_since_us_ < 0) {
    exceeded_since_us_ = now_us;
  } else if (!over && exceeded_since_us_ >= 0) {
    exceeded_total_us_ += now_us - exceeded_since_us_;
    exceeded_since_us_ = -1;
  }
}

Evictor::Result Evictor::perform() {
  const auto& cfg = engine_.config().v();
  Clock& clock = engine_.clock();
  if (cfg.maxmemory <= 0) {
    if (exceeded_since_us_ >= 0) note_exceeded(false, clock.monotonic_us());
    return Result::kOk;
  }
  // A replica never evicts (replica-ignore-maxmemory): its master's DELs
  // keep it the same size as the master.
  if (engine_.repl().is_replica()) return Result::kOk;
  // CLIENT PAUSE: nothing is evicted while clients are held, as in Redis.
  if (engine_.client_pause().active()) return Result::kOk;
  MemoryGauge& gauge = engine_.memory_gauge();
  const size_t limit = static_cast<size_t>(cfg.maxmemory);
  size_t used = gauge.used();
  if (used <= limit) {
    if (exceeded_since_us_ >= 0) note_exceeded(false, clock.monotonic_us());
    return Result::kOk;
  }
  // The clock is read only where it is needed: on going over the limit, and
  // for the time budget once a pass is past its first 16 evictions.
  if (exceeded_since_us_ < 0) note_exceeded(true, clock.monotonic_us());
  int64_t start_us = -1;
  const EvictionPolicy policy = parse_eviction_policy(cfg.maxmemory_policy);
  if (policy == EvictionPolicy::kNoEviction) return Result::kFail;

  // The latency monitor times the pass and each deletion, only when on.
  const bool monitor = engine_.latency_monitor_on();
  const int64_t cycle_start_us = monitor ? clock.monotonic_us() : 0;
  auto note_cycle = [&] {
    if (monitor)
      engine_.note_latency("eviction-cycle", (clock.monotonic_us() - cycle_start_us) / 1000);
  };
  const size_t to_free = used - limit;
  const int64_t budget_us = time_limit_us(cfg.maxmemory_eviction_tenacity);
  const bool lazy = cfg.lazyfree_lazy_eviction;
  // Where the gauge does not drop on free (RSS, committed pages), what an
  // eviction frees is estimated from the key's size, as MEMORY USAGE does.
  const bool measured = gauge.sees_frees();
  size_t freed = 0;
  size_t evicted = 0;
  int db = 0;
  std::string key;
  while (freed < to_free) {
    if (!pick(policy, &db, &key)) break;
    size_t estimate = 0;
    if (!measured) {
      estimate = key_memory_usage(engine_.db(db).find_raw(key));
    }
    const size_t before = measured ? gauge.used() : 0;
    const int64_t del_start_us = monitor ? clock.monotonic_us() : 0;
    evict(db, key, lazy);
    if (monitor) engine_.note_latency("eviction-del", (clock.monotonic_us() - del_start_us) / 1000);
    if (measured) {
      const size_t after = gauge.used();
      if (before > after) freed += before - after;
    } else {
      freed += estimate;
    }
    if (++evicted % 16 == 0) {
      // Frees on the lazy-free thread do not show in `after`: check the real
      // level now and then.
      if (lazy && measured && gauge.used() <= limit) break;
      const int64_t now_us = clock.monotonic_us();
      if (start_us < 0) {
        start_us = now_us;
      } else if (now_us - start_us > budget_us) {
        note_cycle();
        return Result::kRunning;
      }
    }
  }
  if (freed < to_free && (!measured || gauge.used() > limit)) {
    // Nothing left to evict. Values the lazy-free thread still holds may be
    // enough: wait for them within the time budget, as Redis does.
    if (start_us < 0) start_us = clock.monotonic_us();
    while (lazy && measured && engine_.freer().pending() > 0 &&
           clock.monotonic_us() - start_us < budget_us) {
      if (gauge.used() <= limit) {
        note_exceeded(false, clock.monotonic_us());
        note_cycle();
        return Result::kOk;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(std::min<int64_t>(budget_us, 1000)));
    }
    note_cycle();
    return Result::kFail;
  }
  note_exceeded(false, clock.monotonic_us());
  note_cycle();
  return Result::kOk;
}

}  // namespace kvd::engine
