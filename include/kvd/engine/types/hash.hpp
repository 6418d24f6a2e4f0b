#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "kvd/engine/types/str_table.hpp"
#include "kvd/engine/value.hpp"

namespace kvd::engine {

// Thresholds of the compact encoding (hash-max-listpack-entries/-value).
struct HashLimits {
  size_t max_entries = 128;
  size_t max_value = 64;
};

// A hash: field/value pairs in a packed buffer ("listpack": varint length +
// bytes per element, fields and values alternating) while it is small, then a
// StrTable ("hashtable"). The object is 24 bytes; a small hash costs this plus
// one exactly-sized buffer.
class HashObject final : public Object {
 public:
  HashObject() = default;
  ~HashObject() override;
  HashObject(const HashObject&) = delete;
  HashObject& operator=(const HashObject&) = delete;

  ValueType type() const override { return ValueType::kHash; }
  const char* encoding() const override { return is_table() ? "hashtable" : "listpack"; }
  size_t element_count() const override { return size(); }
  Object* clone() const override;
  uint64_t prefetch_member_slot(std::string_view field) const override {
    return is_table() ? table_->prefetch_slot(field) : 0;
  }
  void prefetch_member_node(uint64_t token) const override {
    if (is_table()) table_->prefetch_node(token);
  }

  bool is_table() const { return count_ == kTableMark; }
  size_t size() const { return is_table() ? table_->size() : count_; }

  // The value of a field; the view is valid until the next change.
  std::optional<std::string_view> get(std::string_view field) const;
  // Sets a field; returns true when it is new. Converts to the table encoding
  // when a field or value is longer than limits.max_value or the hash grows
  // past limits.max_entries.
  bool set(std::string_view field, std::string_view value, const HashLimits& limits);
  bool erase(std::string_view field);

  // Calls fn(field, value) for every pair.
  template <typename F>
  void for_each(F&& fn) const {
    if (is_table()) {
      table_->for_each([&](const StrNode* n) { fn(n->key(), n->value()); });
      return;
    }
    size_t pos = 0;
    while (pos < bytes_) {
      std::string_view f = read(pos, &pos);
      std::string_view v = read(pos, &pos);
      fn(f, v);
    }
  }
  // One SCAN step. The packed encoding returns everything with cursor 0.
  template <typename F>
  uint64_t scan(uint64_t cursor, F&& fn) const {
    if (!is_table()) {
      for_each(fn);
      return 0;
    }
    return table_->scan(cursor, [&](const StrNode* n) { fn(n->key(), n->value()); });
  }
  // A random pair (the hash must not be empty).
  std::pair<std::string_view, std::string_view> random() const;
  // Heap bytes held, for MEMORY USAGE style estimates.
  size_t memory() const;

 private:
  static constexpr uint32_t kTableMark = UINT32_MAX;
  // The packed buffer never grows past this; bigger hashes use the table.
  static constexpr size_t kMaxPackedBytes = 1u << 30;

  std::string_view read(size_t pos, size_t* next) const;
  // Offset of the field's entry in the packed buffer, or bytes_ when absent.
  size_t find_packed(std::string_view field) const;
  void convert_to_table();
  void packed_append(std::string_view field, std::string_view value);
  void packed_replace_value(size_t value_pos, std::string_view value);
  void packed_erase_pair(size_t field_pos);

  union {
    char* data_ = nullptr;  // packed encoding
    StrTable* table_;       // table encoding
  };
  uint32_t bytes_ = 0;  // packed buffer length
  uint32_t count_ = 0;  // pairs, or kTableMark for the table encoding
};

}  // namespace kvd::engine
