#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
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
// Small intsets live inside the object's own allocation, right after a 12-byte
// header (vtable pointer + packed counters): a set of ten integers below 32768
// is one 32-byte block, where Redis spends a 16-byte robj plus a 32-byte
// intset. When the integers outgrow that room they move to a separate block.
// Unlike Redis, widths start at 1 byte.
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
  uint64_t prefetch_member_slot(std::string_view member) const override {
    return is_table() ? table()->prefetch_slot(member) : 0;
  }
  void prefetch_member_node(uint64_t token) const override {
    if (is_table()) table()->prefetch_node(token);
  }

  bool is_table() const { return width() == 0; }
  size_t size() const { return is_table() ? table()->size() : count(); }

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
      table()->for_each([&](const StrNode* n) { fn(n->key()); });
      return;
    }
    char buf[24];
    for_each_int([&](int64_t v) { fn(format(v, buf)); });
  }
  // Calls fn(int64_t) for each member of an intset, ascending (DUMP writes
  // them as integers). The set must not be a table.
  template <typename F>
  void for_each_int(F&& fn) const {
    for (uint32_t i = 0, n = count(); i < n; ++i) fn(at(i));
  }
  // One SCAN step; the intset encoding returns everything with cursor 0.
  template <typename F>
  uint64_t scan(uint64_t cursor, F&& fn) const {
    if (!is_table()) {
      for_each(fn);
      return 0;
    }
    return table()->scan(cursor, [&](const StrNode* n) { fn(n->key()); });
  }
  size_t memory() const;

 private:
  // Bytes before the inline integers: the vtable pointer and hdr_.
  static constexpr size_t kHeader = 12;
  // hdr_ bits: inline count (0-15), width (16-19, 0 = table), out-of-line
  // (20), inline room in 4-byte units (21-31).
  static constexpr uint32_t kCountMask = 0xFFFF;
  static constexpr int kWidthShift = 16;
  static constexpr uint32_t kExternal = 1u << 20;
  static constexpr int kRoomShift = 21;
  static constexpr size_t kMaxRoom = (size_t{1} << 11) * 4 - 4;
  // Out-of-line integers: a block with its own count.
  struct Ints {
    uint32_t count;
    uint32_t cap;  // bytes
    char* data() { return reinterpret_cast<char*>(this + 1); }
  };

  SetObject() = default;
  static std::string_view format(int64_t v, char* buf);

  uint8_t width() const { return static_cast<uint8_t>((hdr_ >> kWidthShift) & 0xF); }
  void set_width(uint8_t w) {
    hdr_ = (hdr_ & ~(0xFu << kWidthShift)) | (uint32_t{w} << kWidthShift);
  }
  bool external() const { return hdr_ & kExternal; }
  size_t room() const { return (hdr_ >> kRoomShift) * 4; }
  char* inline_bytes() { return reinterpret_cast<char*>(this) + kHeader; }
  const char* inline_bytes() const { return reinterpret_cast<const char*>(this) + kHeader; }
  void* pointer() const {
    void* p;
    std::memcpy(&p, inline_bytes(), sizeof p);
    return p;
  }
  void set_pointer(void* p) { std::memcpy(inline_bytes(), &p, sizeof p); }
  StrTable* table() const { return static_cast<StrTable*>(pointer()); }
  Ints* ext() const { return static_cast<Ints*>(pointer()); }
  uint32_t count() const { return external() ? ext()->count : hdr_ & kCountMask; }
  void set_count(uint32_t n);
  const char* ints() const { return external() ? ext()->data() : inline_bytes(); }
  char* ints() { return external() ? ext()->data() : inline_bytes(); }

  int64_t at(uint32_t i) const;
  static void put(char* base, uint8_t width, uint32_t i, int64_t v);
  // Index of v, or of its insertion point with *found = false.
  uint32_t search(int64_t v, bool* found) const;
  bool int_add(int64_t v, const SetLimits& limits);
  void int_remove_at(uint32_t i);
  // Makes room for `bytes` of integers, moving them out of line if needed.
  void reserve_ints(size_t bytes);
  void convert_to_table();

  uint32_t hdr_ = 0;
  char pad_[4] = {};  // start of the inline room (the allocation extends it)
};

}  // namespace kvd::engine
