#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "kvd/engine/value.hpp"

namespace kvd::engine {

inline constexpr int64_t kNoExpire = -1;

// One key: a single allocation holding the chain link, the value, the access
// time and the key bytes, followed by the bytes of a short string value
// (Value::embedded), so a key with a value of up to 44 bytes costs one malloc.
// A TTL is not stored here: the flag sends lookups to the database's TtlIndex,
// so the many keys without one do not pay for it.
struct Entry {
  static constexpr size_t kMaxKeyLen = (size_t{1} << 30) - 1;

  Entry* next;
  Value value;
  uint32_t lru;  // seconds clock of the last access (OBJECT IDLETIME)
  uint32_t key_len : 30;
  uint32_t has_ttl : 1;  // the database's TtlIndex holds a deadline for it
  uint32_t spare : 1;

  std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_len}; }
  // Bytes after the key available for an embedded value.
  size_t embed_capacity() const;
  // Stores v in the entry, embedding it when it is a short string that fits;
  // the previous value must have been destroyed or moved out already.
  void store(Value v);
  // Heap bytes of the entry itself (MEMORY USAGE).
  size_t alloc_bytes() const;

  static Entry* create(std::string_view key, Value v);
  // Frees the entry and its value.
  static void destroy(Entry* e);
};

static_assert(sizeof(Entry) == 32);

uint64_t hash_bytes(std::string_view s, uint64_t seed);

// Chained hash table with incremental rehashing, as Redis's dict: growing never
// rehashes everything at once; each operation moves one bucket, and the server
// cron moves more within a time budget. scan() uses the reverse-binary cursor so
// every key present for the whole scan is returned even across resizes.
class Dict {
 public:
  Dict();
  ~Dict();
  Dict(const Dict&) = delete;
  Dict& operator=(const Dict&) = delete;
  void swap(Dict& other);

  size_t size() const { return t_[0].used + t_[1].used; }
  size_t buckets() const { return t_[0].size + t_[1].size; }
  bool rehashing() const { return rehash_idx_ >= 0; }

  Entry* find(std::string_view key);
  // Inserts an entry whose key is not present.
  void insert(Entry* e);
  // Removes and returns the entry for key (not freed), or nullptr.
  Entry* unlink(std::string_view key);

  // Prefetching for a batch of lookups, in two passes so the misses of the
  // batch overlap: prefetch_bucket asks for each key's bucket slot and returns
  // its hash; prefetch_chain, called once the slots have had time to arrive,
  // asks for the first entry in each.
  uint64_t prefetch_bucket(std::string_view key) const;
  void prefetch_chain(uint64_t h) const;
  // A lookup with the hash prefetch_bucket returned and no side effects (no
  // rehash step), for prefetching what the entry's value points to.
  const Entry* peek(std::string_view key, uint64_t h) const;

  // Visits one cursor step; returns the next cursor (0 when done).
  uint64_t scan(uint64_t cursor, const std::function<void(Entry*)>& fn);
  // A random entry or nullptr when empty.
  Entry* random_entry(uint64_t (*rng)());
  // Up to n entries from a run of neighbouring buckets that starts at a random
  // one: cheaper than n random_entry() calls (the buckets share cache lines)
  // and random enough for eviction's samples. Returns how many it wrote.
  size_t sample(size_t n, Entry** out, uint64_t (*rng)());
  // Visits every entry; fn must not modify the dict.
  void for_each(const std::function<void(Entry*)>& fn) const;
  // Removes all entries, passing each to fn (which owns it afterwards).
  void clear(const std::function<void(Entry*)>& fn);

  // Rehashes for up to `us` microseconds of work; returns true if more remains.
  bool rehash_for(int64_t us, int64_t (*now_us)());
  // Shrinks the table if it is mostly empty (called from the cron).
  void shrink_if_sparse();
  // Memory held by the bucket arrays.
  size_t bucket_bytes() const { return (t_[0].size + t_[1].size) * sizeof(Entry*); }

 private:
  struct Table {
    Entry** b = nullptr;
    size_t size = 0;
    size_t mask = 0;
    size_t used = 0;
  };
  void rehash_steps(int n);
  void expand_if_needed();
  void resize(size_t n);
  uint64_t hash(std::string_view k) const { return hash_bytes(k, seed_); }

  Table t_[2];
  int64_t rehash_idx_ = -1;
  uint64_t seed_;
};

}  // namespace kvd::engine
