#include "kvd/engine/types/zset_tree.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

namespace kvd::engine {

// ---------------------------------------------------------------- elements

ZElem* ZElem::make(double score, std::string_view member) {
  auto* e = static_cast<ZElem*>(std::malloc(sizeof(ZElem) + member.size()));
  if (!e) throw std::bad_alloc();
  e->score = score;
  e->hnext = nullptr;
  e->len = static_cast<uint32_t>(member.size());
  if (!member.empty()) std::memcpy(e + 1, member.data(), member.size());
  return e;
}

void ZElem::destroy(ZElem* e) {
  std::free(e);
}

namespace {

// (s1, e1) < (s2, m2) in the set's order: by score, then by member bytes.
inline bool key_less(double s1, const ZElem* e1, double s2, std::string_view m2) {
  return s1 < s2 || (s1 == s2 && e1->member() < m2);
}

// (s, m) < (s2, e2).
inline bool key_less(double s, std::string_view m, double s2, const ZElem* e2) {
  return s < s2 || (s == s2 && m < e2->member());
}

// Nodes under a quarter full are merged with or refilled from a sibling.
constexpr int kLeafMin = ZTree::kLeafCap / 4;
constexpr int kInnerMin = ZTree::kInnerCap / 4;

}  // namespace

// ---------------------------------------------------------------- nodes

ZTree::Leaf* ZTree::new_leaf() {
  auto* l = new Leaf;
  l->leaf = true;
  return l;
}

ZTree::Inner* ZTree::new_inner() {
  return new Inner;
}

void ZTree::free_node(Node* n) {
  if (n->leaf) {
    delete static_cast<Leaf*>(n);
    return;
  }
  auto* in = static_cast<Inner*>(n);
  for (int i = 0; i < in->n; ++i) free_node(in->child[i]);
  delete in;
}

uint64_t ZTree::weight(const Node* n) {
  if (n->leaf) return n->n;
  const auto* in = static_cast<const Inner*>(n);
  uint64_t w = 0;
  for (int i = 0; i < in->n; ++i) w += in->count[i];
  return w;
}

ZTree::ZTree() : root_(new_leaf()) {}

ZTree::~ZTree() {
  free_node(root_);
}

int ZTree::child_for(const Inner* x, double s, std::string_view m) {
  // The last child whose separator is at or below the key.
  return partition_point(1, x->n, [&](int i) { return !key_less(s, m, x->score[i], x->elem[i]); }) -
         1;
}

int ZTree::leaf_lower(const Leaf* l, double s, std::string_view m) {
  return partition_point(0, l->n, [&](int i) { return key_less(l->score[i], l->elem[i], s, m); });
}

ZTree::Leaf* ZTree::locate(const ZElem* e, int* pos, Inner** path, int* idx, int* depth) const {
  const double s = e->score;
  const std::string_view m = e->member();
  Node* x = root_;
  int d = 0;
  while (!x->leaf) {
    auto* in = static_cast<Inner*>(x);
    int c = child_for(in, s, m);
    if (path) {
      path[d] = in;
      idx[d] = c;
    }
    ++d;
    x = in->child[c];
  }
  if (depth) *depth = d;
  auto* l = static_cast<Leaf*>(x);
  *pos = leaf_lower(l, s, m);
  return l;
}

// ---------------------------------------------------------------- insert

// Splits p's full child c in two; the new right half becomes child c + 1 and
// takes the entries from `at` on (0 = half of them).
void ZTree::split_child(Inner* p, int c, int at) {
  Node* left = p->child[c];
  Node* right;
  double sep_score;
  ZElem* sep_elem;
  if (left->leaf) {
    auto* l = static_cast<Leaf*>(left);
    Leaf* r = new_leaf();
    int half = at > 0 ? at : l->n / 2;
    r->n = static_cast<uint16_t>(l->n - half);
    std::memcpy(r->score, l->score + half, r->n * sizeof(double));
    std::memcpy(r->elem, l->elem + half, r->n * sizeof(ZElem*));
    l->n = static_cast<uint16_t>(half);
    r->next = l->next;
    r->prev = l;
    if (l->next) l->next->prev = r;
    l->next = r;
    sep_score = r->score[0];
    sep_elem = r->elem[0];
    right = r;
  } else {
    auto* l = static_cast<Inner*>(left);
    Inner* r = new_inner();
    int half = at > 0 ? at : l->n / 2;
    r->n = static_cast<uint16_t>(l->n - half);
    std::memcpy(r->count, l->count + half, r->n * sizeof(uint64_t));
    std::memcpy(r->score, l->score + half, r->n * sizeof(double));
    std::memcpy(r->elem, l->elem + half, r->n * sizeof(ZElem*));
    std::memcpy(r->child, l->child + half, r->n * sizeof(Node*));
    l->n = static_cast<uint16_t>(half);
    sep_score = r->score[0];  // the smallest key under r
    sep_elem = r->elem[0];
    right = r;
  }
  // Open slot c + 1 in p.
  int tail = p->n - (c + 1);
  std::memmove(p->count + c + 2, p->count + c + 1, tail * sizeof(uint64_t));
  std::memmove(p->score + c + 2, p->score + c + 1, tail * sizeof(double));
  std::memmove(p->elem + c + 2, p->elem + c + 1, tail * sizeof(ZElem*));
  std::memmove(p->child + c + 2, p->child + c + 1, tail * sizeof(Node*));
  p->child[c + 1] = right;
  p->score[c + 1] = sep_score;
  p->elem[c + 1] = sep_elem;
  p->count[c + 1] = weight(right);
  p->count[c] = weight(left);
  ++p->n;
}

// Keys that arrive in ascending order (timestamps as scores, copies of a set)
// would leave every node half full after an even split; a key past the end of
// the tree instead leaves the full node three quarters full and moves just the
// minimum a node may hold to the new one, which the next keys fill up.
int ZTree::append_split(const Node* x, double s, std::string_view m) {
  const int last = x->n - 1;
  if (x->leaf) {
    const auto* l = static_cast<const Leaf*>(x);
    return key_less(l->score[last], l->elem[last], s, m) ? kLeafCap - kLeafMin : 0;
  }
  const auto* in = static_cast<const Inner*>(x);
  return key_less(in->score[last], in->elem[last], s, m) ? kInnerCap - kInnerMin : 0;
}

void ZTree::insert(ZElem* e) {
  const double s = e->score;
  const std::string_view m = e->member();
  if (root_->n == capacity(root_)) {
    Inner* r = new_inner();
    r->n = 1;
    r->child[0] = root_;
    r->count[0] = size_;
    root_ = r;
    split_child(r, 0, append_split(r->child[0], s, m));
  }
  // Full nodes are split on the way down, so a split never climbs back up.
  Node* x = root_;
  bool rightmost = true;
  while (!x->leaf) {
    auto* in = static_cast<Inner*>(x);
    int c = child_for(in, s, m);
    rightmost = rightmost && c == in->n - 1;
    if (in->child[c]->n == capacity(in->child[c])) {
      split_child(in, c, rightmost ? append_split(in->child[c], s, m) : 0);
      if (!key_less(s, m, in->score[c + 1], in->elem[c + 1])) ++c;
    }
    ++in->count[c];
    x = in->child[c];
  }
  // The key is at or above every separator on its path, so it never becomes
  // the smallest key of a subtree that has a separator: no separator changes.
  auto* l = static_cast<Leaf*>(x);
  int pos = leaf_lower(l, s, m);
  int tail = l->n - pos;
  std::memmove(l->score + pos + 1, l->score + pos, tail * sizeof(double));
  std::memmove(l->elem + pos + 1, l->elem + pos, tail * sizeof(ZElem*));
  l->score[pos] = s;
  l->elem[pos] = e;
  ++l->n;
  ++size_;
}

// ---------------------------------------------------------------- erase

void ZTree::remove_child(Inner* p, int c) {
  int tail = p->n - (c + 1);
  std::memmove(p->count + c, p->count + c + 1, tail * sizeof(uint64_t));
  std::memmove(p->score + c, p->score + c + 1, tail * sizeof(double));
  std::memmove(p->elem + c, p->elem + c + 1, tail * sizeof(ZElem*));
  std::memmove(p->child + c, p->child + c + 1, tail * sizeof(Node*));
  --p->n;
}

// Children `left` and `left + 1` of p: merged into one when they fit,
// otherwise their entries are shared out evenly.
void ZTree::balance_pair(Inner* p, int left) {
  Node* a = p->child[left];
  Node* b = p->child[left + 1];
  const int total = a->n + b->n;
  const bool merge = total <= capacity(a);
  if (a->leaf) {
    auto* la = static_cast<Leaf*>(a);
    auto* lb = static_cast<Leaf*>(b);
    if (merge) {
      std::memcpy(la->score + la->n, lb->score, lb->n * sizeof(double));
      std::memcpy(la->elem + la->n, lb->elem, lb->n * sizeof(ZElem*));
      la->n = static_cast<uint16_t>(total);
      la->next = lb->next;
      if (lb->next) lb->next->prev = la;
      p->count[left] = total;
      remove_child(p, left + 1);
      delete lb;
      return;
    }
    const int want = total / 2;
    if (la->n < want) {  // move the front of b to the end of a
      int k = want - la->n;
      std::memcpy(la->score + la->n, lb->score, k * sizeof(double));
      std::memcpy(la->elem + la->n, lb->elem, k * sizeof(ZElem*));
      std::memmove(lb->score, lb->score + k, (lb->n - k) * sizeof(double));
      std::memmove(lb->elem, lb->elem + k, (lb->n - k) * sizeof(ZElem*));
      la->n = static_cast<uint16_t>(want);
      lb->n = static_cast<uint16_t>(total - want);
    } else if (la->n > want) {  // move the end of a to the front of b
      int k = la->n - want;
      std::memmove(lb->score + k, lb->score, lb->n * sizeof(double));
      std::memmove(lb->elem + k, lb->elem, lb->n * sizeof(ZElem*));
      std::memcpy(lb->score, la->score + want, k * sizeof(double));
      std::memcpy(lb->elem, la->elem + want, k * sizeof(ZElem*));
      la->n = static_cast<uint16_t>(want);
      lb->n = static_cast<uint16_t>(total - want);
    }
    p->count[left] = la->n;
    p->count[left + 1] = lb->n;
    p->score[left + 1] = lb->score[0];
    p->elem[left + 1] = lb->elem[0];
    return;
  }
  // Inner nodes: lay both children side by side, b's first separator being
  // the one p holds for b, then cut the row again.
  auto* ia = static_cast<Inner*>(a);
  auto* ib = static_cast<Inner*>(b);
  uint64_t count[2 * kInnerCap];
  double score[2 * kInnerCap];
  ZElem* elem[2 * kInnerCap];
  Node* child[2 * kInnerCap];
  std::memcpy(count, ia->count, ia->n * sizeof(uint64_t));
  std::memcpy(score, ia->score, ia->n * sizeof(double));
  std::memcpy(elem, ia->elem, ia->n * sizeof(ZElem*));
  std::memcpy(child, ia->child, ia->n * sizeof(Node*));
  std::memcpy(count + ia->n, ib->count, ib->n * sizeof(uint64_t));
  std::memcpy(score + ia->n, ib->score, ib->n * sizeof(double));
  std::memcpy(elem + ia->n, ib->elem, ib->n * sizeof(ZElem*));
  std::memcpy(child + ia->n, ib->child, ib->n * sizeof(Node*));
  score[ia->n] = p->score[left + 1];
  elem[ia->n] = p->elem[left + 1];
  const int cut = merge ? total : total / 2;
  std::memcpy(ia->count, count, cut * sizeof(uint64_t));
  std::memcpy(ia->score, score, cut * sizeof(double));
  std::memcpy(ia->elem, elem, cut * sizeof(ZElem*));
  std::memcpy(ia->child, child, cut * sizeof(Node*));
  ia->n = static_cast<uint16_t>(cut);
  p->count[left] = weight(ia);
  if (merge) {
    remove_child(p, left + 1);
    delete ib;
    return;
  }
  const int rest = total - cut;
  std::memcpy(ib->count, count + cut, rest * sizeof(uint64_t));
  std::memcpy(ib->score, score + cut, rest * sizeof(double));
  std::memcpy(ib->elem, elem + cut, rest * sizeof(ZElem*));
  std::memcpy(ib->child, child + cut, rest * sizeof(Node*));
  ib->n = static_cast<uint16_t>(rest);
  p->count[left + 1] = weight(ib);
  p->score[left + 1] = score[cut];
  p->elem[left + 1] = elem[cut];
}

void ZTree::erase(const ZElem* e) {
  Inner* path[kMaxDepth];
  int idx[kMaxDepth];
  int depth, pos;
  Leaf* l = locate(e, &pos, path, idx, &depth);
  for (int d = 0; d < depth; ++d) --path[d]->count[idx[d]];
  int tail = l->n - pos - 1;
  std::memmove(l->score + pos, l->score + pos + 1, tail * sizeof(double));
  std::memmove(l->elem + pos, l->elem + pos + 1, tail * sizeof(ZElem*));
  --l->n;
  --size_;
  // The leaf's smallest key went: the separator naming it (in the lowest
  // ancestor where the path does not take child 0) must follow.
  if (pos == 0 && l->n > 0) {
    for (int d = depth - 1; d >= 0; --d) {
      if (idx[d] > 0) {
        path[d]->score[idx[d]] = l->score[0];
        path[d]->elem[idx[d]] = l->elem[0];
        break;
      }
    }
  }
  Node* x = l;
  for (int d = depth - 1; d >= 0; --d) {
    if (x->n >= (x->leaf ? kLeafMin : kInnerMin)) break;
    Inner* p = path[d];
    if (p->n < 2) break;
    balance_pair(p, idx[d] > 0 ? idx[d] - 1 : idx[d]);
    x = p;
  }
  while (!root_->leaf && root_->n == 1) {
    auto* old = static_cast<Inner*>(root_);
    root_ = old->child[0];
    delete old;
  }
}

void ZTree::rescore(ZElem* e, double score) {
  int pos;
  Leaf* l = locate(e, &pos, nullptr, nullptr, nullptr);
  const std::string_view m = e->member();
  // In place when it stays strictly inside its leaf's neighbours; slot 0 may
  // be a separator, so it always moves.
  if (pos > 0 && pos + 1 < l->n && key_less(l->score[pos - 1], l->elem[pos - 1], score, m) &&
      key_less(score, m, l->score[pos + 1], l->elem[pos + 1])) {
    l->score[pos] = score;
    e->score = score;
    return;
  }
  erase(e);
  e->score = score;
  insert(e);
}

// ---------------------------------------------------------------- ranks

size_t ZTree::rank_of(const ZElem* e) const {
  const double s = e->score;
  const std::string_view m = e->member();
  size_t r = 0;
  const Node* x = root_;
  while (!x->leaf) {
    const auto* in = static_cast<const Inner*>(x);
    int c = child_for(in, s, m);
    for (int i = 0; i < c; ++i) r += in->count[i];
    x = in->child[c];
  }
  return r + leaf_lower(static_cast<const Leaf*>(x), s, m);
}

ZTree::Cursor ZTree::seek(size_t rank) const {
  const Node* x = root_;
  while (!x->leaf) {
    const auto* in = static_cast<const Inner*>(x);
    int c = 0;
    while (c + 1 < in->n && rank >= in->count[c]) rank -= in->count[c++];
    x = in->child[c];
  }
  Cursor cur;
  if (rank < x->n) {
    cur.leaf = x;
    cur.idx = static_cast<uint32_t>(rank);
  }
  return cur;
}

// ---------------------------------------------------------------- checks

bool ZTree::check_node(const Node* x, const double* lo_s, const ZElem* lo_e, uint64_t* count,
                       int depth, int* leaf_depth) const {
  if (x != root_ && x->n < (x->leaf ? kLeafMin : kInnerMin)) return false;
  if (x->leaf) {
    if (*leaf_depth < 0) *leaf_depth = depth;
    if (*leaf_depth != depth) return false;
    const auto* l = static_cast<const Leaf*>(x);
    for (int i = 0; i < l->n; ++i) {
      if (l->score[i] != l->elem[i]->score) return false;
      if (i > 0 && !key_less(l->score[i - 1], l->elem[i - 1], l->score[i], l->elem[i]->member()))
        return false;
    }
    // The separator above names this subtree's smallest key exactly.
    if (lo_e && (l->n == 0 || l->elem[0] != lo_e || l->score[0] != *lo_s)) return false;
    *count = l->n;
    return true;
  }
  const auto* in = static_cast<const Inner*>(x);
  uint64_t total = 0;
  for (int i = 0; i < in->n; ++i) {
    uint64_t c = 0;
    const bool first = i == 0;
    if (!check_node(in->child[i], first ? lo_s : &in->score[i], first ? lo_e : in->elem[i], &c,
                    depth + 1, leaf_depth))
      return false;
    if (c != in->count[i]) return false;
    total += c;
  }
  *count = total;
  return true;
}

bool ZTree::check() const {
  uint64_t count = 0;
  int leaf_depth = -1;
  if (!check_node(root_, nullptr, nullptr, &count, 0, &leaf_depth)) return false;
  if (count != size_) return false;
  // Leaf links visit every element in order, and back again.
  size_t seen = 0;
  const Node* x = root_;
  while (!x->leaf) x = static_cast<const Inner*>(x)->child[0];
  const Leaf* last = nullptr;
  for (const auto* l = static_cast<const Leaf*>(x); l; l = l->next) {
    if (l->prev != last) return false;
    if (last && l->n > 0 &&
        !key_less(last->score[last->n - 1], last->elem[last->n - 1], l->score[0],
                  l->elem[0]->member()))
      return false;
    seen += l->n;
    last = l;
  }
  return seen == size_;
}

}  // namespace kvd::engine
