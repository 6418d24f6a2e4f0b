#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

#include "kvd/engine/types/list_node.hpp"
#include "kvd/engine/value.hpp"

namespace kvd::engine {

// A Redis list: a sequence of ListNodes (packed elements with free room at
// both ends, so pushes and pops at the ends move nothing), each bounded by
// list-max-listpack-size (`fill`: > 0 entries per node, -1..-5 = 4/8/16/32/64 KB
// per node), the layout of Redis's quicklist. A small list is one node, so it
// costs one packed allocation; elements are never allocated one by one.
//
// Redis 7.0 keeps every list in a quicklist (the "listpack" list encoding came
// in 7.2), so OBJECT ENCODING reports "quicklist" for all of them, as 7.0 does.
// list-compress-depth is not honoured: nodes are never compressed.
class List final : public Object {
 public:
  explicit List(int64_t fill) : fill_(fill) {}
  ~List() override;
  List(const List&) = delete;
  List& operator=(const List&) = delete;

  ValueType type() const override { return ValueType::kList; }
  const char* encoding() const override { return "quicklist"; }
  size_t element_count() const override { return count_; }
  Object* clone() const override;

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t node_count() const { return nodes_.size(); }

  void push_front(std::string_view s);
  void push_back(std::string_view s);
  // Views into the list: valid until the next mutation.
  std::string_view front() const;
  std::string_view back() const;
  void pop_front();
  void pop_back();

  // Element at a 0-based index (< size()).
  std::string_view at(size_t index) const;
  void set(size_t index, std::string_view s);
  // Inserts before (or after) the element at `index`.
  void insert(size_t index, std::string_view s, bool after);
  // Calls fn(element) for `count` elements from `start`, front to back; a fn
  // returning bool stops the walk by returning false.
  template <typename Fn>
  void for_each(size_t start, size_t count, Fn&& fn) const {
    size_t n = 0, off = 0;
    locate(start, &n, &off);
    for (; count > 0 && n < nodes_.size(); ++n, off = 0) {
      const ListNode& pl = *nodes_[n];
      while (count > 0 && off < pl.bytes()) {
        size_t nx;
        std::string_view e = pl.at(off, &nx);
        if constexpr (std::is_same_v<decltype(fn(e)), bool>) {
          if (!fn(e)) return;
        } else {
          fn(e);
        }
        off = nx;
        --count;
      }
    }
  }
  // Calls fn(node) for each node, front to back (DUMP keeps the node layout).
  template <typename Fn>
  void for_each_node(Fn&& fn) const {
    for (const ListNode* n : nodes_) fn(*n);
  }
  // Calls fn(index, element) from the back to the front; stops when fn is false.
  template <typename Fn>
  void for_each_reverse(Fn&& fn) const {
    size_t index = count_;
    std::vector<size_t> offs;
    for (size_t n = nodes_.size(); n-- > 0;) {
      const ListNode& pl = *nodes_[n];
      offs.clear();
      for (size_t off = 0; off < pl.bytes(); off = pl.next(off)) offs.push_back(off);
      for (size_t i = offs.size(); i-- > 0;) {
        size_t nx;
        if (!fn(--index, pl.at(offs[i], &nx))) return;
      }
    }
  }
  // Removes up to `limit` elements equal to `s` (0 = all), scanning from the
  // back when `from_back`; returns how many were removed.
  size_t remove(std::string_view s, size_t limit, bool from_back);
  // Keeps only elements [start, start + count).
  void keep_range(size_t start, size_t count);

 private:
  // Node and byte offset of element `index` (index == size() gives the end).
  void locate(size_t index, size_t* node, size_t* off) const;
  bool node_fits(const ListNode& pl, size_t element_bytes) const;
  // Splits an oversized node in two and drops an empty one.
  void fix_node(size_t node);
  void erase_at(size_t node, size_t off);
  // Offsets of the last node's elements, built on demand: a ListNode can
  // only be walked forwards, and this makes repeated RPOPs O(1) each instead
  // of a walk of the node. Any change but push_back/pop_back drops it.
  void build_tail() const;
  void drop_tail() {
    tail_ok_ = false;
    tail_.clear();
  }

  std::vector<ListNode*> nodes_;
  mutable std::vector<size_t> tail_;
  mutable bool tail_ok_ = false;
  size_t count_ = 0;
  int64_t fill_;
};

}  // namespace kvd::engine
