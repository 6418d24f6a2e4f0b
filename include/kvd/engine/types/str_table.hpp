#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kvd/engine/chained_hash.hpp"

namespace kvd::engine {

// One member of a StrTable: a single allocation holding the chain link, both
// lengths and the bytes of the key followed by the value. A hash field costs
// one malloc of 16 bytes plus its text (Redis pays a 24-byte dictEntry and two
// sds strings).
struct StrNode {
  StrNode* next;
  uint32_t klen;
  uint32_t vlen;

  char* bytes() { return reinterpret_cast<char*>(this + 1); }
  const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view key() const { return {bytes(), klen}; }
  std::string_view value() const { return {bytes() + klen, vlen}; }
};

// Chained hash table of byte-string keys with optional byte-string values: the
// "hashtable" encoding of big hashes (key = field) and sets (value unused).
// The bucket index is a ChainedHash: grown at load factor 1, shrunk below 1/8,
// rehashed a bucket or so per write instead of all at once.
class StrTable {
 public:
  StrTable() = default;
  ~StrTable();
  StrTable(const StrTable& o);
  StrTable& operator=(const StrTable&) = delete;

  size_t size() const { return index_.size(); }
  StrNode* find(std::string_view key) const { return index_.find(key); }
  // Sets key to value; returns true when the key is new.
  bool set(std::string_view key, std::string_view value);
  // Adds a key with an empty value if absent; returns true when added.
  bool add(std::string_view key);
  bool erase(std::string_view key);
  // A uniformly random member (nullptr when empty).
  const StrNode* random() const;
  uint64_t prefetch_slot(std::string_view key) const { return index_.prefetch_slot(key); }
  void prefetch_node(uint64_t h) const { index_.prefetch_node(h); }
  // Reserve buckets for n members (bulk loads, conversions).
  void reserve(size_t n) { index_.reserve(n); }
  // Heap bytes held (buckets, nodes): MEMORY USAGE style estimates.
  size_t memory() const;

  template <typename F>
  void for_each(F&& fn) const {
    index_.for_each([&](const StrNode* n) { fn(n); });
  }
  // Visits one bucket step of a SCAN; returns the next cursor (0 when done).
  template <typename F>
  uint64_t scan(uint64_t cursor, F&& fn) const {
    return index_.scan(cursor, [&](const StrNode* n) { fn(n); });
  }

 private:
  struct Traits {
    static StrNode*& next(StrNode* n) { return n->next; }
    static std::string_view key(const StrNode* n) { return n->key(); }
    static uint64_t hash(std::string_view k);
  };
  static StrNode* make_node(std::string_view k, std::string_view v);

  ChainedHash<StrNode, Traits> index_;
};

}  // namespace kvd::engine
