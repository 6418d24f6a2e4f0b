#include "kvd/engine/types/zset.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <vector>

#include "kvd/engine/chained_hash.hpp"
#include "kvd/engine/database.hpp"
#include "kvd/engine/dict.hpp"

namespace kvd::engine {

// ---------------------------------------------------------------- ranges

namespace {

// Redis accepts whatever strtod consumes entirely ("" reads as 0), but no NaN.
bool parse_bound(std::string_view s, double* v, bool* ex) {
  *ex = false;
  if (!s.empty() && s[0] == '(') {
    *ex = true;
    s.remove_prefix(1);
  }
  if (s.size() > 4096) return false;
  char buf[4097];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end;
  *v = std::strtod(buf, &end);
  return *end == '\0' && !std::isnan(*v);
}

bool parse_lex_item(std::string_view s, std::string* out, bool* ex, bool* neg, bool* pos) {
  *neg = *pos = *ex = false;
  if (s.empty()) return false;
  switch (s[0]) {
    case '+':
      if (s.size() != 1) return false;
      *pos = true;
      return true;
    case '-':
      if (s.size() != 1) return false;
      *neg = true;
      return true;
    case '(':
    case '[':
      *ex = s[0] == '(';
      out->assign(s.substr(1));
      return true;
    default:
      return false;
  }
}

}  // namespace

bool parse_score_range(std::string_view min, std::string_view max, ScoreRange* out) {
  return parse_bound(min, &out->min, &out->minex) && parse_bound(max, &out->max, &out->maxex);
}

bool parse_lex_range(std::string_view min, std::string_view max, LexRange* out) {
  return parse_lex_item(min, &out->min, &out->minex, &out->min_neg_inf, &out->min_pos_inf) &&
         parse_lex_item(max, &out->max, &out->maxex, &out->max_neg_inf, &out->max_pos_inf);
}

// ---------------------------------------------------------------- score codec

size_t encode_score(double score, char* buf) {
  constexpr double kExact = 9007199254740992.0;  // 2^53: beyond it not every integer is exact
  if (score == std::floor(score) && std::fabs(score) < kExact &&
      !(score == 0 && std::signbit(score))) {
    auto v = static_cast<int64_t>(score);
    size_t n = 0;
    while (v != 0 && n < 7) {
      ++n;
      int64_t half = int64_t{1} << (8 * n - 1);
      if (v >= -half && v < half) break;
    }
    auto u = static_cast<uint64_t>(v);
    for (size_t i = 0; i < n; ++i) buf[i] = static_cast<char>((u >> (8 * i)) & 0xff);
    return n;
  }
  std::memcpy(buf, &score, 8);
  return 8;
}

double decode_score(std::string_view s) {
  if (s.size() == 8) {
    double d;
    std::memcpy(&d, s.data(), 8);
    return d;
  }
  if (s.empty()) return 0;
  uint64_t u = 0;
  for (size_t i = 0; i < s.size(); ++i)
    u |= static_cast<uint64_t>(static_cast<uint8_t>(s[i])) << (8 * i);
  // Sign-extend from the top byte.
  size_t bits = 8 * s.size();
  if (u & (uint64_t{1} << (bits - 1))) u |= ~uint64_t{0} << bits;
  return static_cast<double>(static_cast<int64_t>(u));
}

// ---------------------------------------------------------------- big encoding

namespace {

// One process-wide seed, as for the other collection tables.
const uint64_t kMemberSeed = 0x7b1e55c0ffee1234ull ^ reinterpret_cast<uintptr_t>(&kMemberSeed);

struct ZElemTraits {
  static ZElem*& next(ZElem* e) { return e->hnext; }
  static std::string_view key(const ZElem* e) { return e->member(); }
  static uint64_t hash(std::string_view m) { return hash_bytes(m, kMemberSeed); }
};

}  // namespace

// The big encoding: the elements in a ZTree for order and ranks, and an
// intrusive hash index (chained through ZElem::hnext) for member lookups. It
// owns the elements; each member's bytes are stored once.
class ZBig {
 public:
  ZBig() = default;
  ~ZBig() {
    tree_.for_each([](ZElem* e) { ZElem::destroy(e); });
  }
  ZBig(const ZBig&) = delete;
  ZBig& operator=(const ZBig&) = delete;

  size_t size() const { return tree_.size(); }
  const ZTree& tree() const { return tree_; }

  ZElem* find(std::string_view m) const { return index_.find(m); }
  uint64_t prefetch_slot(std::string_view m) const { return index_.prefetch_slot(m); }
  void prefetch_node(uint64_t h) const { index_.prefetch_node(h); }

  // The member must be absent.
  void insert(double score, std::string_view m) {
    ZElem* e = ZElem::make(score, m);
    tree_.insert(e);
    index_.insert(e);
  }

  void erase(ZElem* e) {
    tree_.erase(e);
    index_.unlink_node(e);
    ZElem::destroy(e);
  }

  // The element keeps its allocation and its place in the member index.
  void update_score(ZElem* e, double score) { tree_.rescore(e, score); }

  // Reverse-binary cursor over the hash buckets, as Redis's SCAN: an element
  // present for the whole scan is returned even if the table is resized.
  uint64_t scan(uint64_t cursor, void (*cb)(void*, std::string_view, double), void* arg) const {
    return index_.scan(cursor, [&](const ZElem* e) { cb(arg, e->member(), e->score); });
  }

 private:
  ZTree tree_;
  ChainedHash<ZElem, ZElemTraits> index_;
};

// ---------------------------------------------------------------- ZSet

ZSet::ZSet() = default;

ZSet::~ZSet() {
  delete big_;
}

ZSet::ZSet(const ZSet& o) : pl_(o.pl_) {
  if (o.big_) {
    big_ = new ZBig;
    o.big_->tree().for_each([&](const ZElem* e) { big_->insert(e->score, e->member()); });
  }
}

const char* ZSet::encoding() const {
  return big_ ? "skiplist" : "listpack";
}

uint64_t ZSet::prefetch_member_slot(std::string_view member) const {
  return big_ ? big_->prefetch_slot(member) : 0;
}

void ZSet::prefetch_member_node(uint64_t token) const {
  if (big_) big_->prefetch_node(token);
}

size_t ZSet::size() const {
  return big_ ? big_->size() : pl_.size() / 2;
}

void ZSet::packed_pair(size_t pos, std::string_view* member, double* score, size_t* next) const {
  size_t n1;
  *member = pl_.at(pos, &n1);
  *score = decode_score(pl_.at(n1, next));
}

size_t ZSet::packed_find(std::string_view member, double* score) const {
  size_t pos = 0;
  while (pos < pl_.bytes()) {
    std::string_view m;
    double s;
    size_t next;
    packed_pair(pos, &m, &s, &next);
    if (m == member) {
      if (score) *score = s;
      return pos;
    }
    pos = next;
  }
  return pl_.bytes();
}

void ZSet::packed_insert(std::string_view member, double score) {
  size_t pos = 0;
  while (pos < pl_.bytes()) {
    std::string_view m;
    double s;
    size_t next;
    packed_pair(pos, &m, &s, &next);
    if (s > score || (s == score && m > member)) break;
    pos = next;
  }
  char buf[8];
  size_t n = encode_score(score, buf);
  pl_.insert(pos, member);
  pl_.insert(pl_.next(pos), std::string_view(buf, n));
}

bool ZSet::score(std::string_view member, double* out) const {
  if (big_) {
    ZElem* e = big_->find(member);
    if (e && out) *out = e->score;
    return e != nullptr;
  }
  return packed_find(member, out) != pl_.bytes();
}

void ZSet::set(std::string_view member, double score, const Limits& lim, bool* added) {
  if (!big_) {
    double cur;
    size_t pos = packed_find(member, &cur);
    if (pos != pl_.bytes()) {
      *added = false;
      if (cur != score || std::signbit(cur) != std::signbit(score)) {
        pl_.erase_range(pos, 2);
        packed_insert(member, score);
      }
      return;
    }
    *added = true;
    if (size() + 1 <= lim.max_entries && member.size() <= lim.max_value) {
      packed_insert(member, score);
      return;
    }
    convert_to_skiplist();
    big_->insert(score, member);
    return;
  }
  ZElem* e = big_->find(member);
  *added = e == nullptr;
  if (e) {
    if (e->score != score || std::signbit(e->score) != std::signbit(score))
      big_->update_score(e, score);
  } else {
    big_->insert(score, member);
  }
}

bool ZSet::remove(std::string_view member) {
  if (big_) {
    ZElem* e = big_->find(member);
    if (!e) return false;
    big_->erase(e);
    return true;
  }
  size_t pos = packed_find(member, nullptr);
  if (pos == pl_.bytes()) return false;
  pl_.erase_range(pos, 2);
  return true;
}

int64_t ZSet::rank(std::string_view member) const {
  if (big_) {
    ZElem* e = big_->find(member);
    return e ? static_cast<int64_t>(big_->tree().rank_of(e)) : -1;
  }
  size_t pos = 0;
  int64_t r = 0;
  while (pos < pl_.bytes()) {
    size_t n1;
    if (pl_.at(pos, &n1) == member) return r;
    pos = pl_.next(n1);
    ++r;
  }
  return -1;
}

namespace {

// Monotone predicates over the (score, member) order: true for the elements
// before a range bound.
struct BelowScoreMin {
  const ScoreRange& r;
  bool operator()(std::string_view, double s) const { return r.minex ? s <= r.min : s < r.min; }
};
struct UpToScoreMax {
  const ScoreRange& r;
  bool operator()(std::string_view, double s) const { return r.maxex ? s < r.max : s <= r.max; }
};
struct BelowLexMin {
  const LexRange& r;
  bool operator()(std::string_view m, double) const {
    if (r.min_neg_inf) return false;
    if (r.min_pos_inf) return true;
    return r.minex ? m <= r.min : m < r.min;
  }
};
struct UpToLexMax {
  const LexRange& r;
  bool operator()(std::string_view m, double) const {
    if (r.max_neg_inf) return false;
    if (r.max_pos_inf) return true;
    return r.maxex ? m < r.max : m <= r.max;
  }
};

}  // namespace

template <class P>
static size_t count_prefix(const PackedList& pl, const ZBig* big, P pred) {
  if (big) {
    return big->tree().count_prefix(
        [&](const ZElem* e, double score) { return pred(e->member(), score); });
  }
  size_t pos = 0, count = 0;
  while (pos < pl.bytes()) {
    size_t n1, n2;
    std::string_view m = pl.at(pos, &n1);
    double s = decode_score(pl.at(n1, &n2));
    if (!pred(m, s)) break;
    ++count;
    pos = n2;
  }
  return count;
}

size_t ZSet::score_lower(const ScoreRange& r) const {
  return count_prefix(pl_, big_, BelowScoreMin{r});
}
size_t ZSet::score_upper(const ScoreRange& r) const {
  return count_prefix(pl_, big_, UpToScoreMax{r});
}
size_t ZSet::lex_lower(const LexRange& r) const {
  return count_prefix(pl_, big_, BelowLexMin{r});
}
size_t ZSet::lex_upper(const LexRange& r) const {
  return count_prefix(pl_, big_, UpToLexMax{r});
}

void ZSet::erase_range(size_t start, size_t count) {
  size_t n = size();
  if (start >= n) return;
  if (count > n - start) count = n - start;
  if (!big_) {
    pl_.erase_range(pl_.offset_of(start * 2), count * 2);
    pl_.shrink_to_fit();
    return;
  }
  // Note the elements first: erasing invalidates tree cursors.
  std::vector<ZElem*> doomed;
  doomed.reserve(count);
  for (ZTree::Cursor c = big_->tree().seek(start); c.valid() && doomed.size() < count;
       ZTree::step(&c, false)) {
    doomed.push_back(ZTree::elem_at(c));
  }
  for (ZElem* e : doomed) big_->erase(e);
}

void ZSet::at(size_t i, std::string_view* member, double* score) const {
  if (big_) {
    ZTree::Cursor c = big_->tree().seek(i);
    *member = ZTree::elem_at(c)->member();
    *score = ZTree::score_at(c);
    return;
  }
  size_t next;
  packed_pair(pl_.offset_of(i * 2), member, score, &next);
}

void ZSet::convert_to_skiplist() {
  if (big_) return;
  auto* big = new ZBig;
  for_range(0, size(), false, [&](std::string_view m, double s) { big->insert(s, m); });
  big_ = big;
  // PackedList has no assignment: rebuild it empty to free its buffer.
  pl_.~PackedList();
  new (&pl_) PackedList();
}

void ZSet::shrink_if_fits(const Limits& lim) {
  if (!big_ || big_->size() > lim.max_entries) return;
  bool fits = true;
  big_->tree().for_each([&](const ZElem* e) { fits = fits && e->len <= lim.max_value; });
  if (!fits) return;
  char buf[8];
  big_->tree().for_each([&](const ZElem* e) {
    pl_.push_back(e->member());
    pl_.push_back(std::string_view(buf, encode_score(e->score, buf)));
  });
  delete big_;
  big_ = nullptr;
}

ZTree::Cursor ZSet::big_seek(size_t rank) const {
  return big_->tree().seek(rank);
}

uint64_t ZSet::big_scan(uint64_t cursor, void (*cb)(void*, std::string_view, double),
                        void* arg) const {
  return big_->scan(cursor, cb, arg);
}

}  // namespace kvd::engine
