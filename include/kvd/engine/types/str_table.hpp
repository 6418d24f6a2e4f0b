#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

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
// Power-of-two buckets, grown at load factor 1 and shrunk below 1/8, so random
// sampling finds a non-empty bucket in a few draws. Resizes are done in one go
// (members are small and counts bounded by memory); scan() uses the
// reverse-binary cursor, which stays correct across resizes between calls.
class StrTable {
 public:
  StrTable() = default;
  ~StrTable();
  StrTable(const StrTable& o);
  StrTable& operator=(const StrTable&) = delete;

  size_t size() const { return used_; }
  StrNode* find(std::string_view key) const;
  // Sets key to value; returns true when the key is new.
  bool set(std::string_view key, std::string_view value);
  // Adds a key with an empty value if absent; returns true when added.
  bool add(std::string_view key);
  bool erase(std::string_view key);
  // A uniformly random member (nullptr when empty): a random bucket and a
  // random chain position below the longest chain, retried until it hits.
  const StrNode* random() const;
  // Reserve buckets for n members (bulk loads, conversions).
  void reserve(size_t n);
  // Heap bytes held (buckets, nodes): MEMORY USAGE style estimates.
  size_t memory() const;

  template <typename F>
  void for_each(F&& fn) const {
    for (size_t i = 0; i < buckets_; ++i)
      for (const StrNode* n = b_[i]; n; n = n->next) fn(n);
  }
  // Visits one bucket step of a SCAN; returns the next cursor (0 when done).
  template <typename F>
  uint64_t scan(uint64_t cursor, F&& fn) const {
    if (!buckets_) return 0;
    const uint64_t mask = buckets_ - 1;
    for (const StrNode* n = b_[cursor & mask]; n; n = n->next) fn(n);
    // Increment the reversed cursor: sets the unmasked high bits, reverses,
    // adds one, reverses back (the same walk Redis's dictScan makes).
    cursor |= ~mask;
    cursor = reverse(cursor);
    ++cursor;
    return reverse(cursor);
  }

 private:
  static uint64_t reverse(uint64_t v);
  static StrNode* make_node(std::string_view k, std::string_view v);
  uint64_t hash(std::string_view k) const;
  void resize(size_t buckets);
  void grow_if_needed();
  void shrink_if_sparse();
  // The link pointing at key's node (or at the chain's null end); *depth
  // receives its position in the chain.
  StrNode** slot_of(std::string_view key, size_t* depth = nullptr) const;
  void note_depth(size_t depth) {
    if (depth + 1 > max_chain_) max_chain_ = depth + 1;
  }

  StrNode** b_ = nullptr;
  size_t buckets_ = 0;
  size_t used_ = 0;
  // Longest chain seen since the last resize (an upper bound after deletes).
  size_t max_chain_ = 0;
};

}  // namespace kvd::engine
