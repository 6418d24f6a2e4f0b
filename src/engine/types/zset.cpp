#include "kvd/engine/types/zset.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>

#include "kvd/engine/database.hpp"

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

// ---------------------------------------------------------------- skiplist

namespace {

constexpr int kMaxLevel = 32;

// One allocation per element: header, `level` forward links with spans, then
// the member bytes. The member is stored once; the hash index links nodes
// through hnext instead of holding its own copies.
struct ZNode {
  double score;
  ZNode* backward;
  ZNode* hnext;
  uint32_t len;
  uint8_t level;
  struct Level {
    ZNode* forward;
    size_t span;
  };
  Level* lv() { return reinterpret_cast<Level*>(this + 1); }
  const Level* lv() const { return reinterpret_cast<const Level*>(this + 1); }
  std::string_view member() const { return {reinterpret_cast<const char*>(lv() + level), len}; }

  static ZNode* make(int level, double score, std::string_view m) {
    size_t bytes = sizeof(ZNode) + level * sizeof(Level) + m.size();
    auto* n = static_cast<ZNode*>(std::malloc(bytes));
    if (!n) throw std::bad_alloc();
    n->score = score;
    n->backward = nullptr;
    n->hnext = nullptr;
    n->len = static_cast<uint32_t>(m.size());
    n->level = static_cast<uint8_t>(level);
    for (int i = 0; i < level; ++i) n->lv()[i] = {nullptr, 0};
    if (!m.empty()) std::memcpy(reinterpret_cast<char*>(n->lv() + level), m.data(), m.size());
    return n;
  }
};

static_assert(sizeof(ZNode) == 32);

// (score, member) order of the set.
bool node_before(const ZNode* n, double score, std::string_view m) {
  return n->score < score || (n->score == score && n->member() < m);
}

size_t hash_member(std::string_view m) {
  return std::hash<std::string_view>{}(m);
}

int random_level() {
  int level = 1;
  while (level < kMaxLevel && (fast_random() & 0xffff) < 0xffff / 4) ++level;
  return level;
}

}  // namespace

class ZSkipList {
 public:
  ZSkipList() { header_ = ZNode::make(kMaxLevel, 0, {}); }
  ~ZSkipList() {
    ZNode* n = header_->lv()[0].forward;
    while (n) {
      ZNode* next = n->lv()[0].forward;
      std::free(n);
      n = next;
    }
    std::free(header_);
    std::free(buckets_);
  }
  ZSkipList(const ZSkipList&) = delete;
  ZSkipList& operator=(const ZSkipList&) = delete;

  size_t size() const { return length_; }
  ZNode* first() const { return header_->lv()[0].forward; }
  ZNode* last() const { return tail_; }

  ZNode* find(std::string_view m) const {
    if (!buckets_) return nullptr;
    for (ZNode* n = buckets_[hash_member(m) & mask_]; n; n = n->hnext) {
      if (n->member() == m) return n;
    }
    return nullptr;
  }

  // The member must be absent.
  ZNode* insert(double score, std::string_view m) {
    ZNode* n = ZNode::make(random_level(), score, m);
    link(n);
    index_add(n);
    return n;
  }

  void erase(ZNode* target) {
    unlink(target);
    index_remove(target);
    std::free(target);
  }

  // Moves a node to a new score: in place when its neighbours allow, otherwise
  // unlinked and relinked at its new position. The node itself (and so its
  // place in the member index) stays, which spares a free, a malloc and two
  // hashings of the member per update.
  void update_score(ZNode* n, double score) {
    std::string_view m = n->member();
    bool after_prev = !n->backward || node_before(n->backward, score, m);
    ZNode* next = n->lv()[0].forward;
    bool before_next =
        !next || (score < next->score || (score == next->score && m < next->member()));
    if (after_prev && before_next) {
      n->score = score;
      return;
    }
    unlink(n);
    n->score = score;
    link(n);
  }

 private:
  // Puts a node (its level and score set, its links unset) in order.
  void link(ZNode* n) {
    const double score = n->score;
    const std::string_view m = n->member();
    ZNode* update[kMaxLevel];
    size_t rank[kMaxLevel];
    ZNode* x = header_;
    for (int i = level_ - 1; i >= 0; --i) {
      rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
      while (x->lv()[i].forward && node_before(x->lv()[i].forward, score, m)) {
        rank[i] += x->lv()[i].span;
        x = x->lv()[i].forward;
      }
      update[i] = x;
    }
    const int level = n->level;
    if (level > level_) {
      for (int i = level_; i < level; ++i) {
        rank[i] = 0;
        update[i] = header_;
        update[i]->lv()[i].span = length_;
      }
      level_ = level;
    }
    for (int i = 0; i < level; ++i) {
      n->lv()[i].forward = update[i]->lv()[i].forward;
      update[i]->lv()[i].forward = n;
      n->lv()[i].span = update[i]->lv()[i].span - (rank[0] - rank[i]);
      update[i]->lv()[i].span = (rank[0] - rank[i]) + 1;
    }
    for (int i = level; i < level_; ++i) update[i]->lv()[i].span++;
    n->backward = update[0] == header_ ? nullptr : update[0];
    if (n->lv()[0].forward) {
      n->lv()[0].forward->backward = n;
    } else {
      tail_ = n;
    }
    ++length_;
  }

  // Takes a node out of the order (not out of the member index).
  void unlink(ZNode* target) {
    ZNode* update[kMaxLevel];
    ZNode* x = header_;
    std::string_view m = target->member();
    for (int i = level_ - 1; i >= 0; --i) {
      while (x->lv()[i].forward && node_before(x->lv()[i].forward, target->score, m)) {
        x = x->lv()[i].forward;
      }
      update[i] = x;
    }
    for (int i = 0; i < level_; ++i) {
      if (update[i]->lv()[i].forward == target) {
        update[i]->lv()[i].span += target->lv()[i].span - 1;
        update[i]->lv()[i].forward = target->lv()[i].forward;
      } else {
        update[i]->lv()[i].span -= 1;
      }
    }
    if (target->lv()[0].forward) {
      target->lv()[0].forward->backward = target->backward;
    } else {
      tail_ = target->backward;
    }
    while (level_ > 1 && header_->lv()[level_ - 1].forward == nullptr) --level_;
    --length_;
    target->backward = nullptr;
    for (int i = 0; i < target->level; ++i) target->lv()[i] = {nullptr, 0};
  }

 public:
  // Number of leading elements for which pred holds (pred is monotone: true
  // for a prefix of the order).
  template <class P>
  size_t count_prefix(P&& pred) const {
    size_t rank = 0;
    const ZNode* x = header_;
    for (int i = level_ - 1; i >= 0; --i) {
      while (x->lv()[i].forward && pred(x->lv()[i].forward)) {
        rank += x->lv()[i].span;
        x = x->lv()[i].forward;
      }
    }
    return rank;
  }

  // 0-based rank of a node.
  size_t rank_of(const ZNode* n) const {
    std::string_view m = n->member();
    return count_prefix([&](const ZNode* x) { return node_before(x, n->score, m); });
  }

  // Node at 0-based rank r (< size()).
  ZNode* at(size_t r) const {
    size_t traversed = 0;
    ZNode* x = header_;
    ++r;  // spans count from the header
    for (int i = level_ - 1; i >= 0; --i) {
      while (x->lv()[i].forward && traversed + x->lv()[i].span <= r) {
        traversed += x->lv()[i].span;
        x = x->lv()[i].forward;
      }
      if (traversed == r) return x;
    }
    return nullptr;
  }

  // Reverse-binary cursor over the hash buckets, as Redis's SCAN: an element
  // present for the whole scan is returned even if the table is resized.
  uint64_t scan(uint64_t cursor, void (*cb)(void*, std::string_view, double), void* arg) const {
    if (!buckets_) return 0;
    uint64_t m = mask_;
    for (ZNode* n = buckets_[cursor & m]; n; n = n->hnext) cb(arg, n->member(), n->score);
    cursor |= ~m;
    cursor = reverse_bits(cursor);
    ++cursor;
    return reverse_bits(cursor);
  }

 private:
  static uint64_t reverse_bits(uint64_t v) {
    uint64_t r = 0;
    for (int i = 0; i < 64; ++i) {
      r = (r << 1) | (v & 1);
      v >>= 1;
    }
    return r;
  }

  void index_add(ZNode* n) {
    if (length_ > nbuckets_) rehash(nbuckets_ ? nbuckets_ * 2 : 16);
    size_t b = hash_member(n->member()) & mask_;
    n->hnext = buckets_[b];
    buckets_[b] = n;
  }

  void index_remove(ZNode* n) {
    ZNode** p = &buckets_[hash_member(n->member()) & mask_];
    while (*p != n) p = &(*p)->hnext;
    *p = n->hnext;
    // Shrink when very sparse so big deletions give memory back.
    if (nbuckets_ > 16 && length_ < nbuckets_ / 8) rehash(nbuckets_ / 2);
  }

  void rehash(size_t nb) {
    auto* nbk = static_cast<ZNode**>(std::calloc(nb, sizeof(ZNode*)));
    if (!nbk) throw std::bad_alloc();
    for (size_t i = 0; i < nbuckets_; ++i) {
      ZNode* n = buckets_[i];
      while (n) {
        ZNode* next = n->hnext;
        size_t b = hash_member(n->member()) & (nb - 1);
        n->hnext = nbk[b];
        nbk[b] = n;
        n = next;
      }
    }
    std::free(buckets_);
    buckets_ = nbk;
    nbuckets_ = nb;
    mask_ = nb - 1;
  }

  ZNode* header_;
  ZNode* tail_ = nullptr;
  size_t length_ = 0;
  int level_ = 1;
  ZNode** buckets_ = nullptr;
  size_t nbuckets_ = 0;
  size_t mask_ = 0;
};

// ---------------------------------------------------------------- ZSet

ZSet::ZSet() = default;

ZSet::~ZSet() {
  delete sl_;
}

ZSet::ZSet(const ZSet& o) : pl_(o.pl_) {
  if (o.sl_) {
    sl_ = new ZSkipList;
    for (ZNode* n = o.sl_->first(); n; n = n->lv()[0].forward) sl_->insert(n->score, n->member());
  }
}

const char* ZSet::encoding() const {
  return sl_ ? "skiplist" : "listpack";
}

size_t ZSet::size() const {
  return sl_ ? sl_->size() : pl_.size() / 2;
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
  if (sl_) {
    ZNode* n = sl_->find(member);
    if (n && out) *out = n->score;
    return n != nullptr;
  }
  return packed_find(member, out) != pl_.bytes();
}

void ZSet::set(std::string_view member, double score, const Limits& lim, bool* added) {
  if (!sl_) {
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
    sl_->insert(score, member);
    return;
  }
  ZNode* n = sl_->find(member);
  *added = n == nullptr;
  if (n) {
    if (n->score != score || std::signbit(n->score) != std::signbit(score))
      sl_->update_score(n, score);
  } else {
    sl_->insert(score, member);
  }
}

bool ZSet::remove(std::string_view member) {
  if (sl_) {
    ZNode* n = sl_->find(member);
    if (!n) return false;
    sl_->erase(n);
    return true;
  }
  size_t pos = packed_find(member, nullptr);
  if (pos == pl_.bytes()) return false;
  pl_.erase_range(pos, 2);
  return true;
}

int64_t ZSet::rank(std::string_view member) const {
  if (sl_) {
    ZNode* n = sl_->find(member);
    return n ? static_cast<int64_t>(sl_->rank_of(n)) : -1;
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
static size_t count_prefix(const PackedList& pl, const ZSkipList* sl, P pred) {
  if (sl) return sl->count_prefix([&](const ZNode* n) { return pred(n->member(), n->score); });
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
  return count_prefix(pl_, sl_, BelowScoreMin{r});
}
size_t ZSet::score_upper(const ScoreRange& r) const {
  return count_prefix(pl_, sl_, UpToScoreMax{r});
}
size_t ZSet::lex_lower(const LexRange& r) const {
  return count_prefix(pl_, sl_, BelowLexMin{r});
}
size_t ZSet::lex_upper(const LexRange& r) const {
  return count_prefix(pl_, sl_, UpToLexMax{r});
}

void ZSet::erase_range(size_t start, size_t count) {
  size_t n = size();
  if (start >= n) return;
  if (count > n - start) count = n - start;
  if (!sl_) {
    pl_.erase_range(pl_.offset_of(start * 2), count * 2);
    pl_.shrink_to_fit();
    return;
  }
  ZNode* x = sl_->at(start);
  while (count-- > 0 && x) {
    ZNode* next = x->lv()[0].forward;
    sl_->erase(x);
    x = next;
  }
}

void ZSet::at(size_t i, std::string_view* member, double* score) const {
  if (sl_) {
    sl_read(sl_->at(i), member, score);
    return;
  }
  size_t next;
  packed_pair(pl_.offset_of(i * 2), member, score, &next);
}

void ZSet::convert_to_skiplist() {
  if (sl_) return;
  auto* sl = new ZSkipList;
  for_range(0, size(), false, [&](std::string_view m, double s) { sl->insert(s, m); });
  sl_ = sl;
  // PackedList has no assignment: rebuild it empty to free its buffer.
  pl_.~PackedList();
  new (&pl_) PackedList();
}

void ZSet::shrink_if_fits(const Limits& lim) {
  if (!sl_ || sl_->size() > lim.max_entries) return;
  for (ZNode* n = sl_->first(); n; n = n->lv()[0].forward) {
    if (n->len > lim.max_value) return;
  }
  char buf[8];
  for (ZNode* n = sl_->first(); n; n = n->lv()[0].forward) {
    pl_.push_back(n->member());
    pl_.push_back(std::string_view(buf, encode_score(n->score, buf)));
  }
  delete sl_;
  sl_ = nullptr;
}

size_t ZSet::sl_level0_first_at(size_t rank, const void** node) const {
  *node = sl_->at(rank);
  return rank;
}

const void* ZSet::sl_next(const void* node, bool rev) {
  const auto* n = static_cast<const ZNode*>(node);
  return rev ? n->backward : n->lv()[0].forward;
}

void ZSet::sl_read(const void* node, std::string_view* member, double* score) {
  const auto* n = static_cast<const ZNode*>(node);
  *member = n->member();
  *score = n->score;
}

uint64_t ZSet::sl_scan(uint64_t cursor, void (*cb)(void*, std::string_view, double),
                       void* arg) const {
  return sl_->scan(cursor, cb, arg);
}

}  // namespace kvd::engine
