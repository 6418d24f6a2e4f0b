#include "kvd/engine/types/list.hpp"

#include <algorithm>

namespace kvd::engine {

namespace {

// Redis's per-node byte budgets for fill -1..-5.
constexpr size_t kNodeBytes[] = {4096, 8192, 16384, 32768, 65536};
// Count-bounded nodes (fill > 0) still stay below this many bytes.
constexpr size_t kSafetyBytes = 8192;
// Room an element takes besides its bytes (length prefix), as an estimate.
constexpr size_t kOverhead = 8;

size_t byte_budget(int64_t fill) {
  if (fill >= 0) return kSafetyBytes;
  int64_t level = -fill - 1;
  return kNodeBytes[level > 4 ? 4 : level];
}

}  // namespace

List::~List() {
  for (ListNode* n : nodes_) delete n;
}

Object* List::clone() const {
  auto* l = new List(fill_);
  l->nodes_.reserve(nodes_.size());
  for (const ListNode* n : nodes_) l->nodes_.push_back(new ListNode(*n));
  l->count_ = count_;
  return l;
}

bool List::node_fits(const ListNode& pl, size_t element_bytes) const {
  if (pl.empty()) return true;
  if (pl.bytes() + element_bytes + kOverhead > byte_budget(fill_)) return false;
  return fill_ < 0 || static_cast<int64_t>(pl.size()) < fill_;
}

void List::push_front(std::string_view s) {
  if (nodes_.empty() || !node_fits(*nodes_.front(), s.size()))
    nodes_.insert(nodes_.begin(), new ListNode);
  if (nodes_.size() == 1) drop_tail();  // offsets in the one node shift
  nodes_.front()->push_front(s);
  ++count_;
}

void List::push_back(std::string_view s) {
  if (nodes_.empty() || !node_fits(*nodes_.back(), s.size())) {
    nodes_.push_back(new ListNode);
    drop_tail();
  }
  if (tail_ok_) tail_.push_back(nodes_.back()->bytes());
  nodes_.back()->push_back(s);
  ++count_;
}

std::string_view List::front() const {
  size_t nx;
  return nodes_.front()->at(0, &nx);
}

void List::build_tail() const {
  if (tail_ok_) return;
  const ListNode& pl = *nodes_.back();
  tail_.clear();
  for (size_t off = 0; off < pl.bytes(); off = pl.next(off)) tail_.push_back(off);
  tail_ok_ = true;
}

std::string_view List::back() const {
  build_tail();
  size_t nx;
  return nodes_.back()->at(tail_.back(), &nx);
}

void List::pop_front() {
  if (nodes_.size() == 1) drop_tail();  // offsets in the one node shift
  erase_at(0, 0);
}

void List::pop_back() {
  build_tail();
  size_t off = tail_.back();
  tail_.pop_back();
  size_t n = nodes_.size() - 1;
  if (nodes_[n]->size() == 1) drop_tail();  // the node goes away
  erase_at(n, off);
}

void List::erase_at(size_t node, size_t off) {
  nodes_[node]->erase(off);
  --count_;
  if (nodes_[node]->empty()) {
    delete nodes_[node];
    nodes_.erase(nodes_.begin() + static_cast<ptrdiff_t>(node));
  }
}

void List::locate(size_t index, size_t* node, size_t* off) const {
  // Walk from whichever end is nearer, node by node.
  if (index >= count_) {
    *node = nodes_.size();
    *off = 0;
    return;
  }
  if (index < count_ / 2) {
    size_t n = 0;
    while (index >= nodes_[n]->size()) index -= nodes_[n++]->size();
    *node = n;
    *off = nodes_[n]->offset_of(index);
    return;
  }
  size_t from_end = count_ - 1 - index;
  size_t n = nodes_.size() - 1;
  while (from_end >= nodes_[n]->size()) from_end -= nodes_[n--]->size();
  *node = n;
  *off = nodes_[n]->offset_of(nodes_[n]->size() - 1 - from_end);
}

std::string_view List::at(size_t index) const {
  size_t n, off, nx;
  locate(index, &n, &off);
  return nodes_[n]->at(off, &nx);
}

void List::fix_node(size_t node) {
  ListNode& pl = *nodes_[node];
  if (pl.empty()) {
    delete &pl;
    nodes_.erase(nodes_.begin() + static_cast<ptrdiff_t>(node));
    return;
  }
  bool too_big = pl.bytes() > byte_budget(fill_) ||
                 (fill_ >= 0 && static_cast<int64_t>(pl.size()) > std::max<int64_t>(fill_, 1));
  if (!too_big || pl.size() < 2) return;
  // Move the second half into a new node that follows this one.
  size_t keep = pl.size() / 2;
  size_t mid = pl.offset_of(keep);
  auto* tail = new ListNode;
  for (size_t off = mid; off < pl.bytes();) {
    size_t nx;
    tail->push_back(pl.at(off, &nx));
    off = nx;
  }
  pl.erase_range(mid, pl.size() - keep);
  pl.shrink_to_fit();
  nodes_.insert(nodes_.begin() + static_cast<ptrdiff_t>(node) + 1, tail);
}

void List::set(size_t index, std::string_view s) {
  drop_tail();
  size_t n, off;
  locate(index, &n, &off);
  nodes_[n]->replace(off, s);
  fix_node(n);
}

void List::insert(size_t index, std::string_view s, bool after) {
  drop_tail();
  size_t n, off;
  locate(index, &n, &off);
  if (after) off = nodes_[n]->next(off);
  nodes_[n]->insert(off, s);
  ++count_;
  fix_node(n);
}

size_t List::remove(std::string_view s, size_t limit, bool from_back) {
  drop_tail();
  size_t removed = 0;
  auto done = [&] { return limit != 0 && removed >= limit; };
  if (!from_back) {
    for (size_t n = 0; n < nodes_.size() && !done();) {
      ListNode& pl = *nodes_[n];
      for (size_t off = 0; off < pl.bytes() && !done();) {
        size_t nx;
        if (pl.at(off, &nx) == s) {
          pl.erase(off);
          ++removed;
        } else {
          off = nx;
        }
      }
      if (pl.empty()) {
        delete &pl;
        nodes_.erase(nodes_.begin() + static_cast<ptrdiff_t>(n));
      } else {
        ++n;
      }
    }
  } else {
    std::vector<size_t> hits;
    for (size_t n = nodes_.size(); n-- > 0 && !done();) {
      ListNode& pl = *nodes_[n];
      hits.clear();
      for (size_t off = 0; off < pl.bytes();) {
        size_t nx;
        if (pl.at(off, &nx) == s) hits.push_back(off);
        off = nx;
      }
      // Erase from the node's end so the earlier offsets stay valid.
      for (size_t i = hits.size(); i-- > 0 && !done();) {
        pl.erase(hits[i]);
        ++removed;
      }
      if (pl.empty()) {
        delete &pl;
        nodes_.erase(nodes_.begin() + static_cast<ptrdiff_t>(n));
      }
    }
  }
  count_ -= removed;
  return removed;
}

void List::keep_range(size_t start, size_t count) {
  drop_tail();
  if (start >= count_ || count == 0) {
    for (ListNode* n : nodes_) delete n;
    nodes_.clear();
    count_ = 0;
    return;
  }
  if (count > count_ - start) count = count_ - start;
  // Drop `start` elements from the front, then everything past `count`.
  size_t drop = start;
  while (drop > 0) {
    ListNode& pl = *nodes_.front();
    if (pl.size() <= drop) {
      drop -= pl.size();
      delete &pl;
      nodes_.erase(nodes_.begin());
    } else {
      pl.erase_range(0, drop);
      drop = 0;
    }
  }
  size_t seen = 0, n = 0;
  while (n < nodes_.size() && seen + nodes_[n]->size() <= count) seen += nodes_[n++]->size();
  if (n < nodes_.size()) {
    ListNode& pl = *nodes_[n];
    size_t keep = count - seen;
    if (keep > 0) {
      pl.erase_range(pl.offset_of(keep), pl.size() - keep);
      ++n;
    }
    for (size_t i = n; i < nodes_.size(); ++i) delete nodes_[i];
    nodes_.resize(n);
  }
  count_ = count;
  for (ListNode* pl : nodes_) pl->shrink_to_fit();
}

}  // namespace kvd::engine
