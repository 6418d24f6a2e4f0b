#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kvd/engine/types/str_table.hpp"
#include "kvd/engine/value.hpp"

namespace kvd::engine {

// Threshold of the integer encoding (set-max-intset-entries).
struct SetLimits {
  size_t max_intset_entries = 512;
};

// A set: a sorted array of integers in the narrowest width that holds them all
// ("intset", as Redis) while every member is a canonical integer and there are
// at most set-max-intset-entries of them, else a StrTable ("hashtable"). This
// is Redis 7.0's scheme (7.2 added a listpack step in between).
//
// Small intsets live inside the object's own allocation: a set of ten small
// integers is one 32-byte block. When the integers outgrow that space they move
// to a separate exactly-sized buffer. Unlike Redis, widths start at 1 byte.
class SetObject final : public Object {
 public:
  // A new empty intset with room for `int_bytes` bytes of integers inline.
  static SetObject* create(size_t int_bytes = 8);
  // A new set sized for `members` members: an intset with room for them at
  // `width` bytes each when all are integers (width > 0), else a table.
  static SetObject* create_for(size_t members, uint8_t width);
  // Bytes an intset needs per member for v (1, 2, 4 or 8).
  static uint8_t width_for(int64_t v);
  ~SetObject() override;
  SetObject(const SetObject&) = delete;
  SetObject& operator=(const SetObject&) = delete;
  static void operator delete(void* p) { ::operator delete(p); }

  ValueType type() const override { return ValueType::kSet; }
  const char* encoding() const override { return is_table() ? "hashtable" : "intset"; }
  size_t element_count() const override { return size(); }
  Object* clone() const override;

  bool is_table() const { return width_ == 0; }
  size_t size() const { return is_table() ? u_.table->size() : count_; }

  // Returns true when added; converts to the table when needed.
  bool add(std::string_view member, const SetLimits& limits);
  bool remove(std::string_view member);
  bool contains(std::string_view member) const;
  // A random member (the set must not be empty); integers are formatted into
  // `scratch` (at least 24 bytes).
  std::string_view random(char* scratch) const;
  // Removes and returns a random member.
  std::string pop_random();

  template <typename F>
  void for_each(F&& fn) const {
    if (is_table()) {
      u_.table->for_each([&](const StrNode* n) { fn(n->key()); });
      return;
    }
    char buf[24];
    for (uint32_t i = 0; i < count_; ++i) fn(format(at(i), buf));
  }
  // One SCAN step; the intset encoding returns everything with cursor 0.
  template <typename F>
  uint64_t scan(uint64_t cursor, F&& fn) const {
    if (!is_table()) {
      for_each(fn);
      return 0;
    }
    return u_.table->scan(cursor, [&](const StrNode* n) { fn(n->key()); });
  }
  size_t memory() const;

 private:
  SetObject() = default;
  static std::string_view format(int64_t v, char* buf);

  const char* ints() const { return inline_cap_ ? u_.inl : u_.heap; }
  char* ints() { return inline_cap_ ? u_.inl : u_.heap; }
  int64_t at(uint32_t i) const;
  void put(char* base, uint8_t width, uint32_t i, int64_t v);
  // Index of v, or of its insertion point with *found = false.
  uint32_t search(int64_t v, bool* found) const;
  bool int_add(int64_t v, const SetLimits& limits);
  void int_remove_at(uint32_t i);
  // Makes room for `bytes` of integers, moving them out of line if needed.
  void reserve_ints(size_t bytes);
  void convert_to_table();

  uint32_t count_ = 0;      // integers (intset encoding)
  uint8_t width_ = 1;       // bytes per integer; 0 = table encoding
  uint8_t pad_ = 0;
  uint16_t inline_cap_ = 0;  // bytes of inline integer room; 0 = out of line
  union U {
    char* heap;       // out-of-line integers
    StrTable* table;  // table encoding
    char inl[8];      // inline integers (the allocation may extend past this)
  } u_{};
};

}  // namespace kvd::engine
