#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "kvd/engine/packed_list.hpp"
#include "kvd/engine/types/zset_tree.hpp"
#include "kvd/engine/value.hpp"

namespace kvd::engine {

// A score interval for ZRANGEBYSCORE & co. ("(1" excludes 1).
struct ScoreRange {
  double min = 0, max = 0;
  bool minex = false, maxex = false;
};

// A member interval for the BYLEX commands: "-" and "+" are the infinities.
struct LexRange {
  std::string min, max;
  bool minex = false, maxex = false;
  bool min_neg_inf = false, min_pos_inf = false;
  bool max_neg_inf = false, max_pos_inf = false;
};

// Parses Redis's range syntax; false when the item is invalid.
bool parse_score_range(std::string_view min, std::string_view max, ScoreRange* out);
bool parse_lex_range(std::string_view min, std::string_view max, LexRange* out);

class ZBig;

// Sorted set. Small sets are one PackedList of member,score pairs kept in
// (score, member) order, like Redis's listpack encoding; past the
// zset-max-listpack-* limits they become a ZTree (a B+tree with counts, for
// O(log n) rank) plus an intrusive member hash index. OBJECT ENCODING calls the
// big form "skiplist", Redis's name for it.
//
// Elements are addressed by rank (0 = lowest score); range queries turn their
// bounds into ranks first, so every command shares one iteration primitive.
class ZSet : public Object {
 public:
  ZSet();
  ~ZSet() override;
  ZSet(const ZSet& o);
  ZSet& operator=(const ZSet&) = delete;

  ValueType type() const override { return ValueType::kZSet; }
  const char* encoding() const override;
  size_t element_count() const override { return size(); }
  Object* clone() const override { return new ZSet(*this); }
  uint64_t prefetch_member_slot(std::string_view member) const override;
  void prefetch_member_node(uint64_t token) const override;

  size_t size() const;
  bool is_packed() const { return big_ == nullptr; }

  // Listpack thresholds in force for this set (from the config at use time).
  struct Limits {
    size_t max_entries = 128;
    size_t max_value = 64;
  };

  bool score(std::string_view member, double* out) const;
  // Inserts or updates; *added says which. Converts to the big form when the
  // listpack limits would be passed.
  void set(std::string_view member, double score, const Limits& lim, bool* added);
  bool remove(std::string_view member);
  // 0-based rank in ascending order, or -1 when absent.
  int64_t rank(std::string_view member) const;

  // Number of elements below the range start / at or below the range end, so the
  // range is ranks [lower, upper).
  size_t score_lower(const ScoreRange& r) const;
  size_t score_upper(const ScoreRange& r) const;
  size_t lex_lower(const LexRange& r) const;
  size_t lex_upper(const LexRange& r) const;

  // Calls fn(member, score) for `count` elements starting at rank `start`,
  // ascending, or descending from rank `start` when rev.
  template <class F>
  void for_range(size_t start, size_t count, bool rev, F&& fn) const;
  // Removes `count` elements starting at ascending rank `start`.
  void erase_range(size_t start, size_t count);

  // Element at ascending rank i.
  void at(size_t i, std::string_view* member, double* score) const;

  // Converts to the big form now (used by DEBUG-like paths and big result sets).
  void convert_to_skiplist();
  // Converts back to the compact form if it fits the limits (result sets of
  // ZUNIONSTORE/ZRANGESTORE ..., as Redis does for its destinations).
  void shrink_if_fits(const Limits& lim);

  // ZSCAN: visits part of the set, returns the next cursor (0 when done).
  // The compact encoding is returned whole with cursor 0, as Redis does.
  template <class F>
  uint64_t scan(uint64_t cursor, F&& fn) const;

 private:
  // Listpack helpers: offset of the member of the pair at rank i.
  void packed_pair(size_t pos, std::string_view* member, double* score, size_t* next) const;
  size_t packed_find(std::string_view member, double* score) const;
  void packed_insert(std::string_view member, double score);

  PackedList pl_;
  ZBig* big_ = nullptr;

  // Big-form access for the templates below.
  ZTree::Cursor big_seek(size_t rank) const;
  uint64_t big_scan(uint64_t cursor, void (*cb)(void*, std::string_view, double), void* arg) const;
};

// Score encoding inside the listpack: integral scores take 0..7 bytes (a
// little-endian two's complement integer), others the 8 bytes of the double.
size_t encode_score(double score, char* buf);
double decode_score(std::string_view s);

template <class F>
void ZSet::for_range(size_t start, size_t count, bool rev, F&& fn) const {
  size_t n = size();
  if (start >= n || count == 0) return;
  if (count > (rev ? start + 1 : n - start)) count = rev ? start + 1 : n - start;
  if (big_ == nullptr) {
    if (!rev) {
      size_t pos = pl_.offset_of(start * 2);
      for (size_t i = 0; i < count; ++i) {
        std::string_view m;
        double s;
        packed_pair(pos, &m, &s, &pos);
        fn(m, s);
      }
      return;
    }
    // Backwards: the listpack has no back links, so note the offsets first.
    size_t first = start + 1 - count;
    size_t offsets[256];
    std::unique_ptr<size_t[]> big;
    size_t* off = offsets;
    if (count > 256) {
      big.reset(new size_t[count]);
      off = big.get();
    }
    size_t pos = pl_.offset_of(first * 2);
    for (size_t i = 0; i < count; ++i) {
      off[i] = pos;
      pos = pl_.next(pl_.next(pos));
    }
    for (size_t i = count; i-- > 0;) {
      std::string_view m;
      double s;
      size_t nx;
      packed_pair(off[i], &m, &s, &nx);
      fn(m, s);
    }
    return;
  }
  ZTree::Cursor c = big_seek(start);
  for (size_t i = 0; i < count && c.valid(); ++i) {
    fn(ZTree::elem_at(c)->member(), ZTree::score_at(c));
    ZTree::step(&c, rev);
  }
}

template <class F>
uint64_t ZSet::scan(uint64_t cursor, F&& fn) const {
  if (big_ == nullptr) {
    for_range(0, size(), false, fn);
    return 0;
  }
  using Fn = std::remove_reference_t<F>;
  auto tramp = [](void* arg, std::string_view m, double s) { (*static_cast<Fn*>(arg))(m, s); };
  return big_scan(cursor, tramp, static_cast<void*>(&fn));
}

}  // namespace kvd::engine
