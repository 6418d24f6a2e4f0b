#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "kvd/engine/dict.hpp"
#include "kvd/engine/ttl_index.hpp"

namespace kvd::engine {

class LazyFreer;
class Clock;
struct AccessTracking;

// Fast non-cryptographic random numbers for sampling (RANDOMKEY, active expiry).
uint64_t fast_random();

// One of the numbered databases (SELECT n): the key table plus an index of the
// keys that carry a TTL, so active expiry samples only those.
class Database {
 public:
  explicit Database(int id) : id_(id) {}
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  int id() const { return id_; }
  size_t size() const { return dict_.size(); }
  size_t expires() const { return ttl_.size(); }
  Dict& dict() { return dict_; }
  TtlIndex& ttl_index() { return ttl_; }

  // Finds a live key: an expired key is deleted on the spot (lazy expiry) and
  // reported missing. Counts into *expired when it deletes one. While a
  // CLIENT PAUSE is in force the key is reported missing but kept.
  Entry* find(std::string_view key, int64_t now_ms);
  // The same for a key about to be written: on a writable replica an
  // expired key is deleted here too (Redis 7's forced expiry on write
  // lookups), so that its own client creates a fresh key instead of writing
  // into one that has lived past its TTL. A read-only replica keeps it (a
  // PFCOUNT there looks up for write, to cache its count).
  Entry* find_for_write(std::string_view key, int64_t now_ms);
  // Finds without expiring (used where Redis does too, e.g. SCAN filtering).
  Entry* find_raw(std::string_view key) { return dict_.find(key); }
  // While the AOF loads, nothing is expired: a key whose deadline passed
  // while the server was down may still be written to by the commands that
  // follow, as Redis replays them; expiry catches up afterwards.
  // A replica's master commands see no key as expired either: the master
  // decides, and sends a DEL.
  bool is_expired(const Entry* e, int64_t now_ms) const {
    return e->has_ttl && !(loading_ && *loading_) && !(master_applying_ && *master_applying_) &&
           ttl_.get(e, kNoExpire) <= now_ms;
  }
  // The key's deadline in absolute ms, or kNoExpire.
  int64_t expire_of(const Entry* e) const {
    return e->has_ttl ? ttl_.get(e, kNoExpire) : kNoExpire;
  }

  // Adds a new key (must be absent) and returns its entry.
  Entry* add(std::string_view key, Value v);
  // Replaces the value of an existing entry, freeing the old one.
  void replace_value(Entry* e, Value v);
  // SET semantics: create or overwrite; clears the TTL unless keep_ttl.
  Entry* set(std::string_view key, Value v, bool keep_ttl = false);
  // Deletes a key; returns false if absent. Big values are freed in the background.
  bool remove(std::string_view key);
  // Detaches the entry from the table without freeing it (RENAME, MOVE);
  // its TTL (or kNoExpire) goes to *expire_at when asked for.
  Entry* detach(std::string_view key, int64_t* expire_at = nullptr);
  // Inserts a detached entry (from this or another database) with a TTL.
  void attach(Entry* e, int64_t expire_at = kNoExpire);

  void set_expire(Entry* e, int64_t when_ms);
  void persist(Entry* e);

  // Deletes every key. With a freer, the old table is freed on its thread.
  void clear(LazyFreer* freer);
  void swap(Database& other);

  // One round of active expiry: samples keys with a TTL and deletes the expired
  // until the time budget runs out or few sampled keys were expired. Returns
  // the number of deleted keys.
  size_t active_expire(int64_t now_ms, int64_t deadline_us, int64_t (*mono_us)());

  // A writable replica's own clients may give keys a TTL; its master never
  // sends a DEL for those, so the replica expires them itself, as Redis's
  // expireSlaveKeys does: the keys are remembered when their TTL is set and
  // checked on the cron. Returns the number deleted.
  size_t expire_replica_written_keys(int64_t now_ms);
  size_t replica_written_keys() const { return replica_written_.size(); }
  void forget_replica_written_keys() { replica_written_.clear(); }

  // Sum of remaining TTLs of a sample, for INFO's avg_ttl.
  int64_t avg_ttl(int64_t now_ms) const;

  void set_lazy_freer(LazyFreer* f) { freer_ = f; }
  // Time source for stamping new values' access time (OBJECT IDLETIME).
  void set_clock(const Clock* c) { clock_ = c; }
  // How new keys are stamped for eviction (LRU time or LFU counter).
  void set_access_tracking(const AccessTracking* a) { access_ = a; }
  uint64_t expired_keys() const { return expired_; }

  // Called after a key was deleted by expiry (lazy or active) and after a key
  // was added, with the database id: the engine hooks WATCH and keyspace
  // notifications ("expired", "new") here.
  using KeyListener = std::function<void(int db, std::string_view key)>;
  // CLIENT PAUSE's flag: while it is set nothing expires (engine/client_pause.hpp).
  void set_expiry_pause(const bool* paused) { expiry_paused_ = paused; }
  void set_loading_flag(const bool* loading) { loading_ = loading; }
  // A replica reports an expired key missing but keeps it until its
  // master's DEL (Redis 7); its master's own commands see it as it is.
  void set_replica_flags(const bool* replica, const bool* master_applying, const bool* read_only) {
    replica_ = replica;
    master_applying_ = master_applying;
    replica_read_only_ = read_only;
  }
  void set_listeners(KeyListener on_expired, KeyListener on_added) {
    on_expired_ = std::move(on_expired);
    on_added_ = std::move(on_added);
  }

 private:
  void free_entry(Entry* e);
  uint32_t lru_now() const;
  void expire_entry(Entry* e);
  // True while a replica's own client (not its master's stream, not a load)
  // runs a command.
  bool replica_own_write() const {
    return replica_ && *replica_ && !(master_applying_ && *master_applying_) &&
           !(loading_ && *loading_);
  }

  int id_;
  Dict dict_;
  TtlIndex ttl_;
  size_t ttl_cursor_ = 0;  // where active expiry resumes in ttl_
  LazyFreer* freer_ = nullptr;
  const Clock* clock_ = nullptr;
  const AccessTracking* access_ = nullptr;
  uint64_t expired_ = 0;
  const bool* expiry_paused_ = nullptr;
  const bool* loading_ = nullptr;
  const bool* replica_ = nullptr;
  const bool* master_applying_ = nullptr;
  const bool* replica_read_only_ = nullptr;
  KeyListener on_expired_;
  KeyListener on_added_;
  std::unordered_set<std::string> replica_written_;  // see expire_replica_written_keys
};

}  // namespace kvd::engine
