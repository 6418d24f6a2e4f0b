#include "kvd/engine/types/hash.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "kvd/engine/database.hpp"
#include "kvd/engine/varint.hpp"

namespace kvd::engine {
namespace {

size_t element_size(std::string_view s) {
  uint8_t prefix[10];
  return encode_element_len(s.size(), prefix) + s.size();
}

char* put_element(char* out, std::string_view s) {
  uint8_t prefix[10];
  size_t n = encode_element_len(s.size(), prefix);
  std::memcpy(out, prefix, n);
  out += n;
  if (!s.empty()) std::memcpy(out, s.data(), s.size());
  return out + s.size();
}

// Exact-size reallocation: small hashes are the common case and each byte of
// slack is paid once per key.
char* resize_buffer(char* p, size_t n) {
  char* r = static_cast<char*>(std::realloc(p, n ? n : 1));
  if (!r) throw std::bad_alloc();
  return r;
}

}  // namespace

HashObject::~HashObject() {
  if (is_table())
    delete table_;
  else
    std::free(data_);
}

Object* HashObject::clone() const {
  auto* h = new HashObject;
  if (is_table()) {
    h->table_ = new StrTable(*table_);
    h->count_ = kTableMark;
  } else if (bytes_) {
    h->data_ = resize_buffer(nullptr, bytes_);
    std::memcpy(h->data_, data_, bytes_);
    h->bytes_ = bytes_;
    h->count_ = count_;
  }
  return h;
}

std::string_view HashObject::read(size_t pos, size_t* next) const {
  return decode_element(data_, pos, next);
}

size_t HashObject::find_packed(std::string_view field) const {
  size_t pos = 0;
  while (pos < bytes_) {
    size_t next;
    std::string_view f = read(pos, &next);
    if (f == field) return pos;
    read(next, &next);  // skip the value
    pos = next;
  }
  return bytes_;
}

std::optional<std::string_view> HashObject::get(std::string_view field) const {
  if (is_table()) {
    const StrNode* n = table_->find(field);
    if (!n) return std::nullopt;
    return n->value();
  }
  size_t pos = find_packed(field);
  if (pos == bytes_) return std::nullopt;
  read(pos, &pos);
  return read(pos, &pos);
}

void HashObject::convert_to_table() {
  auto* t = new StrTable;
  t->reserve(count_);
  for_each([&](std::string_view f, std::string_view v) { t->set(f, v); });
  std::free(data_);
  table_ = t;
  bytes_ = 0;
  count_ = kTableMark;
}

void HashObject::packed_append(std::string_view field, std::string_view value) {
  size_t add = element_size(field) + element_size(value);
  data_ = resize_buffer(data_, bytes_ + add);
  char* p = put_element(data_ + bytes_, field);
  put_element(p, value);
  bytes_ += static_cast<uint32_t>(add);
  ++count_;
}

void HashObject::packed_replace_value(size_t value_pos, std::string_view value) {
  size_t end;
  read(value_pos, &end);
  size_t old_size = end - value_pos;
  size_t new_size = element_size(value);
  size_t total = bytes_ - old_size + new_size;
  if (new_size > old_size) data_ = resize_buffer(data_, total);
  std::memmove(data_ + value_pos + new_size, data_ + end, bytes_ - end);
  put_element(data_ + value_pos, value);
  if (new_size < old_size) data_ = resize_buffer(data_, total);
  bytes_ = static_cast<uint32_t>(total);
}

void HashObject::packed_erase_pair(size_t field_pos) {
  size_t end;
  read(field_pos, &end);
  read(end, &end);
  std::memmove(data_ + field_pos, data_ + end, bytes_ - end);
  bytes_ -= static_cast<uint32_t>(end - field_pos);
  --count_;
  if (count_ == 0) {
    std::free(data_);
    data_ = nullptr;
    bytes_ = 0;
  } else {
    data_ = resize_buffer(data_, bytes_);
  }
}

bool HashObject::set(std::string_view field, std::string_view value, const HashLimits& limits) {
  if (!is_table()) {
    size_t need = element_size(field) + element_size(value);
    if (field.size() > limits.max_value || value.size() > limits.max_value ||
        bytes_ + need > kMaxPackedBytes) {
      convert_to_table();
    }
  }
  if (is_table()) return table_->set(field, value);
  size_t pos = find_packed(field);
  if (pos != bytes_) {
    read(pos, &pos);
    packed_replace_value(pos, value);
    return false;
  }
  packed_append(field, value);
  if (count_ > limits.max_entries) convert_to_table();
  return true;
}

bool HashObject::erase(std::string_view field) {
  if (is_table()) return table_->erase(field);
  size_t pos = find_packed(field);
  if (pos == bytes_) return false;
  packed_erase_pair(pos);
  return true;
}

std::pair<std::string_view, std::string_view> HashObject::random() const {
  if (is_table()) {
    const StrNode* n = table_->random();
    return {n->key(), n->value()};
  }
  size_t skip = fast_random() % count_;
  size_t pos = 0;
  while (skip--) {
    read(pos, &pos);
    read(pos, &pos);
  }
  std::string_view f = read(pos, &pos);
  return {f, read(pos, &pos)};
}

size_t HashObject::memory() const {
  return sizeof(*this) + (is_table() ? table_->memory() : bytes_);
}

}  // namespace kvd::engine
