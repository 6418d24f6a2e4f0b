#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kvd::engine {

// One member of a big sorted set, allocated once with its bytes behind it.
// The member index chains elements through hnext; the tree points at them.
struct ZElem {
  double score;
  ZElem* hnext;
  uint32_t len;

  std::string_view member() const { return {reinterpret_cast<const char*>(this + 1), len}; }
  static ZElem* make(double score, std::string_view member);
  static void destroy(ZElem* e);
};

// The order of a big sorted set: a B+tree over (score, member) whose inner
// nodes count the elements below each child, so rank lookups are O(log n).
//
// It replaces the skiplist Redis uses. A skiplist search follows ~2 log2(n)
// pointers to scattered nodes, a cache miss each; here a search reads a few
// contiguous arrays of scores (64 to a node), so a ZADD that moves a member
// costs a handful of misses instead of dozens, and each element costs a
// 16-byte slot instead of a node with a tower of links.
//
// Separators are exact: an inner node's separator i is the smallest key of
// child i (separator 0 is unused). Leaves are linked both ways for iteration.
// The tree does not own the elements.
class ZTree {
 public:
  static constexpr int kLeafCap = 64;
  static constexpr int kInnerCap = 64;

  // A position: a leaf and an index in it. Invalidated by any change.
  struct Cursor {
    const void* leaf = nullptr;
    uint32_t idx = 0;
    bool valid() const { return leaf != nullptr; }
  };

  ZTree();
  ~ZTree();
  ZTree(const ZTree&) = delete;
  ZTree& operator=(const ZTree&) = delete;

  size_t size() const { return size_; }

  // e->score is its key with its member; it must not be in the tree.
  void insert(ZElem* e);
  // e must be in the tree with its current score.
  void erase(const ZElem* e);
  // Moves e to a new score (in place when its neighbours allow).
  void rescore(ZElem* e, double score);

  size_t rank_of(const ZElem* e) const;
  Cursor seek(size_t rank) const;  // rank < size()
  static void step(Cursor* c, bool rev);
  static ZElem* elem_at(const Cursor& c);
  static double score_at(const Cursor& c);

  // Number of leading elements for which pred(elem, score) holds; pred must
  // hold for a prefix of the order.
  template <class P>
  size_t count_prefix(P&& pred) const;

  // Calls fn(elem) for each element in order.
  template <class F>
  void for_each(F&& fn) const;

  // Debug aid for tests: checks counts, order, separators and links.
  bool check() const;

 private:
  struct Node {
    uint16_t n = 0;
    bool leaf = false;
  };
  struct Leaf : Node {
    Leaf* prev = nullptr;
    Leaf* next = nullptr;
    double score[kLeafCap];
    ZElem* elem[kLeafCap];
  };
  struct Inner : Node {
    uint64_t count[kInnerCap];
    double score[kInnerCap];
    ZElem* elem[kInnerCap];
    Node* child[kInnerCap];
  };
  static constexpr int kMaxDepth = 24;

  static Leaf* new_leaf();
  static Inner* new_inner();
  static void free_node(Node* n);
  // First i in [lo, hi) for which holds(i) is false; holds is true for a
  // prefix of the range. Every search in the tree is this binary search.
  template <class F>
  static int partition_point(int lo, int hi, F&& holds) {
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (holds(mid)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
  static int capacity(const Node* n) { return n->leaf ? kLeafCap : kInnerCap; }
  static uint64_t weight(const Node* n);
  // Child of x to descend into for key (s, m).
  static int child_for(const Inner* x, double s, std::string_view m);
  // First leaf slot whose key is not below (s, m).
  static int leaf_lower(const Leaf* l, double s, std::string_view m);
  // Leaf and slot holding e, with the inner nodes and child indices on the way.
  Leaf* locate(const ZElem* e, int* pos, Inner** path, int* idx, int* depth) const;

  static int append_split(const Node* x, double s, std::string_view m);
  void split_child(Inner* p, int c, int at);
  void balance_pair(Inner* p, int left);
  void remove_child(Inner* p, int c);
  bool check_node(const Node* x, const double* lo_s, const ZElem* lo_e, uint64_t* count, int depth,
                  int* leaf_depth) const;

  Node* root_;
  size_t size_ = 0;
};

template <class P>
size_t ZTree::count_prefix(P&& pred) const {
  size_t below = 0;
  const Node* x = root_;
  while (!x->leaf) {
    const auto* in = static_cast<const Inner*>(x);
    // Largest child whose smallest key still satisfies pred.
    int c = partition_point(1, in->n, [&](int i) { return pred(in->elem[i], in->score[i]); }) - 1;
    for (int i = 0; i < c; ++i) below += in->count[i];
    x = in->child[c];
  }
  const auto* l = static_cast<const Leaf*>(x);
  return below + partition_point(0, l->n, [&](int i) { return pred(l->elem[i], l->score[i]); });
}

template <class F>
void ZTree::for_each(F&& fn) const {
  const Node* x = root_;
  while (!x->leaf) x = static_cast<const Inner*>(x)->child[0];
  for (const auto* l = static_cast<const Leaf*>(x); l; l = l->next) {
    for (int i = 0; i < l->n; ++i) fn(l->elem[i]);
  }
}

inline void ZTree::step(Cursor* c, bool rev) {
  const auto* l = static_cast<const Leaf*>(c->leaf);
  if (!rev) {
    if (++c->idx < l->n) return;
    l = l->next;
    c->idx = 0;
  } else {
    if (c->idx-- > 0) return;
    l = l->prev;
    c->idx = l ? l->n - 1 : 0;
  }
  c->leaf = l;
}

inline ZElem* ZTree::elem_at(const Cursor& c) {
  return static_cast<const Leaf*>(c.leaf)->elem[c.idx];
}

inline double ZTree::score_at(const Cursor& c) {
  return static_cast<const Leaf*>(c.leaf)->score[c.idx];
}

}  // namespace kvd::engine
