#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string_view>
#include <utility>

namespace kvd::engine {

// The bucket index of a big collection (hash fields, set members, sorted-set
// members): a chained hash table over intrusive nodes that it does not own,
// with incremental rehashing as in Redis's dict. Growing or shrinking opens a
// second table and each later write moves a bucket or so into it, so no single
// command pays for rehashing millions of members: done in one go, that took
// half a second for a 2-million-member set.
//
// Traits supplies, for a Node:
//   static Node*& next(Node* n);                 the chain link
//   static std::string_view key(const Node* n);
//   static uint64_t hash(std::string_view key);
//
// scan() uses the reverse-binary cursor (Redis's dictScan), which returns every
// node present for the whole scan even across resizes. random() is uniform: it
// draws (bucket, chain position) pairs below the longest chain until one hits.
template <typename Node, typename Traits>
class ChainedHash {
 public:
  ChainedHash() = default;
  ~ChainedHash() {
    std::free(t_[0].b);
    std::free(t_[1].b);
  }
  ChainedHash(const ChainedHash&) = delete;
  ChainedHash& operator=(const ChainedHash&) = delete;

  size_t size() const { return t_[0].used + t_[1].used; }
  bool rehashing() const { return rehash_idx_ >= 0; }
  size_t bucket_bytes() const { return (t_[0].size + t_[1].size) * sizeof(Node*); }

  // The overloads taking h (Traits::hash(key)) let a find followed by an
  // insert of the same key hash it once.
  Node* find(std::string_view key) const { return find(key, Traits::hash(key)); }
  Node* find(std::string_view key, uint64_t h) const {
    if (!size()) return nullptr;
    for (int t = first_table(h); t <= (rehashing() ? 1 : 0); ++t) {
      for (Node* n = t_[t].b[h & t_[t].mask]; n; n = Traits::next(n)) {
        if (Traits::key(n) == key) return n;
      }
    }
    return nullptr;
  }

  // Pipelined lookups overlap their cache misses in two steps:
  // prefetch_slot starts loading key's bucket slot and returns its hash;
  // prefetch_node, called once the slot has had time to arrive, starts
  // loading the first node there.
  uint64_t prefetch_slot(std::string_view key) const {
    uint64_t h = Traits::hash(key);
    for (int t = first_table(h); t <= (rehashing() ? 1 : 0) && t_[t].size; ++t) {
      __builtin_prefetch(&t_[t].b[h & t_[t].mask]);
    }
    return h;
  }
  void prefetch_node(uint64_t h) const {
    for (int t = first_table(h); t <= (rehashing() ? 1 : 0) && t_[t].size; ++t) {
      if (const Node* n = t_[t].b[h & t_[t].mask]) __builtin_prefetch(n);
    }
  }

  // Adds a node whose key is absent, growing the table at load factor 1.
  void insert(Node* n) { insert(n, Traits::hash(Traits::key(n))); }
  void insert(Node* n, uint64_t h) {
    step();
    if (!t_[0].size) {
      allocate(0, kMinBuckets);
    } else if (!rehashing() && t_[0].used >= t_[0].size) {
      start_rehash(t_[0].size * 2);
    }
    // While rehashing, a node whose old bucket has not moved yet joins that
    // bucket and moves with it: a new-table bucket then only ever receives
    // nodes when its (single, when growing) old bucket moves, all of them
    // just touched, so step() can measure the chains it builds for free.
    const int which = first_table(h);
    Table& t = t_[which];
    Node** slot = &t.b[h & t.mask];
    size_t depth = 1;
    for (Node* c = *slot; c; c = Traits::next(c)) ++depth;
    Traits::next(n) = *slot;
    *slot = n;
    ++t.used;
    note_chain(depth, which);
  }

  // Removes and returns the node with this key, or nullptr.
  Node* unlink(std::string_view key) {
    if (!size()) return nullptr;
    step();
    int table;
    Node** link = find_link(key, nullptr, &table);
    return link ? unlink_at(link, table) : nullptr;
  }

  // Removes this very node (which must be in the table).
  void unlink_node(Node* n) {
    step();
    int table;
    Node** link = find_link(Traits::key(n), n, &table);
    if (link) unlink_at(link, table);
  }

  // Forgets every node (the caller owns and frees them) and the buckets.
  void reset() {
    for (Table& t : t_) {
      std::free(t.b);
      t = Table{};
    }
    rehash_idx_ = -1;
    max_chain_[0] = max_chain_[1] = 0;
  }

  // Room for n nodes without growing, when the table is not rehashing.
  void reserve(size_t n) {
    if (rehashing()) return;
    size_t want = kMinBuckets;
    while (want < n) want <<= 1;
    if (!t_[0].size) {
      allocate(0, want);
    } else if (want > t_[0].size) {
      start_rehash(want);
    }
  }

  // Visits every node; fn may free the node it is given (and nothing else).
  template <typename F>
  void for_each(F&& fn) const {
    for (const Table& t : t_) {
      for (size_t i = 0; i < t.size; ++i) {
        for (Node* n = t.b[i]; n;) {
          Node* next = Traits::next(n);
          fn(n);
          n = next;
        }
      }
    }
  }

  // Visits one cursor step; returns the next cursor (0 when done).
  template <typename F>
  uint64_t scan(uint64_t cursor, F&& fn) const {
    if (!size()) return 0;
    if (!rehashing()) {
      const uint64_t m = t_[0].mask;
      visit(t_[0], cursor & m, fn);
      return advance(cursor, m);
    }
    // Visit the smaller table's bucket, then every bucket of the larger one
    // that it expands to (they share the low bits of the cursor).
    const Table* small = &t_[0];
    const Table* large = &t_[1];
    if (small->size > large->size) std::swap(small, large);
    const uint64_t m0 = small->mask, m1 = large->mask;
    visit(*small, cursor & m0, fn);
    do {
      visit(*large, cursor & m1, fn);
      cursor = advance(cursor, m1);
    } while (cursor & (m0 ^ m1));
    return cursor;
  }

  // A uniformly random node, or nullptr when empty; rng gives 64 random bits.
  template <typename Rng>
  Node* random(Rng&& rng) const {
    if (!size()) return nullptr;
    // The old table's buckets below the rehash point are empty: skip them.
    const size_t first = rehashing() ? static_cast<size_t>(rehash_idx_) : 0;
    const size_t old_span = t_[0].size - first;
    const size_t total = old_span + t_[1].size;
    const size_t longest = std::max(max_chain_[0], max_chain_[1]);
    const size_t chain = longest ? longest : 1;
    while (true) {
      size_t i = static_cast<size_t>(rng() % total);
      const Table& t = i < old_span ? t_[0] : t_[1];
      i = i < old_span ? i + first : i - old_span;
      Node* n = t.b[i];
      for (size_t pos = static_cast<size_t>(rng() % chain); n && pos > 0; --pos)
        n = Traits::next(n);
      if (n) return n;
    }
  }

  // Moves up to n non-empty buckets to the new table (writes call it too).
  void step(size_t n = 1) {
    if (!rehashing()) return;
    // A shrink folds k old buckets into each new one and random() draws from
    // both tables until it ends: move k buckets per write so it ends as soon
    // (in writes) as a grow does.
    if (t_[1].size < t_[0].size) n *= t_[0].size / t_[1].size;
    // Empty buckets cost a pointer test each, in sequence: a shrinking table
    // (mostly empty) must finish soon, or random() keeps drawing from both.
    size_t empty_visits = n * 100;
    while (n-- > 0 && t_[0].used > 0) {
      while (!t_[0].b[rehash_idx_]) {
        ++rehash_idx_;
        if (--empty_visits == 0) return;
      }
      Node* c = t_[0].b[rehash_idx_];
      t_[0].b[rehash_idx_] = nullptr;
      while (c) {
        Node* next = Traits::next(c);
        Node** slot = &t_[1].b[Traits::hash(Traits::key(c)) & t_[1].mask];
        Traits::next(c) = *slot;
        *slot = c;
        --t_[0].used;
        ++t_[1].used;
        // Keep random()'s bound. Growing, the chain holds only nodes of this
        // old bucket (see insert()), all in cache; shrinking merges buckets.
        size_t len = 0;
        for (Node* x = c; x; x = Traits::next(x)) ++len;
        note_chain(len, 1);
        c = next;
      }
      ++rehash_idx_;
    }
    if (t_[0].used == 0) {
      finish_rehash();
      return;
    }
    // Moving a node means reading its key to rehash it: a cache miss per
    // node, which used to be half the cost of an insert-heavy SADD. Ask now
    // for the next bucket's first node, so the next write's step finds it.
    for (size_t i = rehash_idx_, end = std::min(i + 8, t_[0].size); i < end; ++i) {
      if (const Node* x = t_[0].b[i]) {
        __builtin_prefetch(x);
        break;
      }
    }
  }

 private:
  static constexpr size_t kMinBuckets = 4;

  struct Table {
    Node** b = nullptr;
    size_t size = 0;
    size_t mask = 0;
    size_t used = 0;
  };

  static uint64_t reverse(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
    v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
    return __builtin_bswap64(v);
  }
  // Increments the reversed cursor: sets the unmasked high bits, reverses,
  // adds one, reverses back.
  static uint64_t advance(uint64_t cursor, uint64_t mask) {
    cursor |= ~mask;
    cursor = reverse(cursor);
    ++cursor;
    return reverse(cursor);
  }
  template <typename F>
  static void visit(const Table& t, uint64_t i, F& fn) {
    for (Node* n = t.b[i]; n; n = Traits::next(n)) fn(n);
  }

  // 1 when h's bucket in the old table has already been moved (and so is
  // empty): a lookup then skips a cache miss on it. 0 when not rehashing.
  int first_table(uint64_t h) const {
    return rehashing() && (h & t_[0].mask) < static_cast<uint64_t>(rehash_idx_) ? 1 : 0;
  }
  void allocate(int which, size_t buckets) {
    auto** b = static_cast<Node**>(std::calloc(buckets, sizeof(Node*)));
    if (!b) throw std::bad_alloc();
    t_[which] = Table{b, buckets, buckets - 1, 0};
  }
  void start_rehash(size_t buckets) {
    allocate(1, buckets);
    rehash_idx_ = 0;
  }
  void finish_rehash() {
    std::free(t_[0].b);
    t_[0] = t_[1];
    t_[1] = Table{};
    rehash_idx_ = -1;
    // Every chain of the new table was built by insert() or step(), which
    // noted it: its bound replaces the old table's.
    max_chain_[0] = max_chain_[1];
    max_chain_[1] = 0;
  }
  void note_chain(size_t len, int table) {
    if (len > max_chain_[table]) max_chain_[table] = len;
  }

  // The link pointing at the node with this key (or at `node` itself when
  // given) and the table holding it; nullptr when absent.
  Node** find_link(std::string_view key, const Node* node, int* table) {
    const uint64_t h = Traits::hash(key);
    for (int t = first_table(h); t <= (rehashing() ? 1 : 0); ++t) {
      Table& tab = t_[t];
      for (Node** link = &tab.b[h & tab.mask]; *link; link = &Traits::next(*link)) {
        if (node ? *link == node : Traits::key(*link) == key) {
          *table = t;
          return link;
        }
      }
    }
    return nullptr;
  }
  Node* unlink_at(Node** link, int table) {
    Node* n = *link;
    *link = Traits::next(n);
    --t_[table].used;
    shrink_if_sparse();
    return n;
  }
  // Shrinks below 1/8 full, so big deletions give the buckets back.
  void shrink_if_sparse() {
    if (rehashing() || t_[0].size <= kMinBuckets || size() * 8 >= t_[0].size) return;
    size_t want = kMinBuckets;
    while (want < size()) want <<= 1;
    if (size() == 0) {
      reset();
      return;
    }
    start_rehash(want);
  }

  Table t_[2];
  int64_t rehash_idx_ = -1;
  // Per table, the longest chain insert() or step() built in it: an upper
  // bound on its chains (removals only shorten them), which random() needs to
  // stay uniform.
  size_t max_chain_[2] = {0, 0};
};

}  // namespace kvd::engine
