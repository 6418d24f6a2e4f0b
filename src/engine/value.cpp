#include "kvd/engine/value.hpp"

#include <algorithm>
#include <cstdlib>

#include "kvd/common/strings.hpp"

namespace kvd::engine {

const char* type_name(ValueType t) {
  switch (t) {
    case ValueType::kString:
      return "string";
    case ValueType::kList:
      return "list";
    case ValueType::kHash:
      return "hash";
    case ValueType::kSet:
      return "set";
    case ValueType::kZSet:
      return "zset";
    case ValueType::kStream:
      return "stream";
  }
  return "none";
}

Value Value::from_int(int64_t v) {
  Value r;
  std::memcpy(r.bytes_, &v, 8);
  r.bytes_[15] = kInt;
  return r;
}

Value Value::from_string(std::string_view s) {
  int64_t iv;
  if (s.size() <= 20 && parse_int64(s, &iv)) return from_int(iv);
  return text_string(s);
}

Value Value::text_string(std::string_view s) {
  Value r;
  if (s.size() <= kInlineCap) {
    if (!s.empty()) std::memcpy(r.bytes_, s.data(), s.size());
    r.bytes_[14] = static_cast<unsigned char>(s.size());
    r.bytes_[15] = kInline;
    return r;
  }
  r.set_heap(new_heap(s, s.size()), false);
  return r;
}

Value Value::raw_string(std::string_view s) {
  Value r;
  r.set_heap(new_heap(s, s.size()), true);
  return r;
}

Value Value::from_object(Object* obj) {
  Value r;
  std::memcpy(r.bytes_, &obj, sizeof obj);
  r.bytes_[14] = static_cast<unsigned char>(obj->type());
  r.bytes_[15] = kObject;
  return r;
}

Value::HeapStr* Value::new_heap(std::string_view s, size_t cap) {
  auto* h = static_cast<HeapStr*>(std::malloc(sizeof(HeapStr) + cap));
  h->len = static_cast<uint32_t>(s.size());
  h->cap = static_cast<uint32_t>(cap);
  if (!s.empty()) std::memcpy(h->data(), s.data(), s.size());
  return h;
}

void Value::set_heap(HeapStr* h, bool raw) {
  std::memcpy(bytes_, &h, sizeof h);
  bytes_[15] = kHeap | (raw ? kRawFlag : 0);
}

Value Value::embedded(const char* p, size_t len) {
  Value r;
  std::memcpy(r.bytes_, &p, sizeof p);
  auto n = static_cast<uint32_t>(len);
  std::memcpy(r.bytes_ + 8, &n, 4);
  r.bytes_[15] = kEmbedded;
  return r;
}

bool Value::embeddable() const {
  if (repr() == kEmbedded) return true;
  return repr() == kHeap && !(bytes_[15] & kRawFlag) && heap()->len <= kMaxEmbedded;
}

ValueType Value::type() const {
  if (repr() == kObject) return static_cast<ValueType>(bytes_[14]);
  return ValueType::kString;
}

std::string_view Value::str(char* scratch) const {
  switch (repr()) {
    case kInt:
      return std::string_view(scratch, format_int64(int_value(), scratch));
    case kInline:
      return std::string_view(reinterpret_cast<const char*>(bytes_), bytes_[14]);
    case kHeap: {
      HeapStr* h = heap();
      return std::string_view(h->data(), h->len);
    }
    case kEmbedded: {
      const char* p;
      std::memcpy(&p, bytes_, sizeof p);
      return std::string_view(p, str_len_embedded());
    }
    default:
      return {};
  }
}

size_t Value::str_len() const {
  char scratch[24];
  return repr() == kHeap ? heap()->len : str(scratch).size();
}

bool Value::to_int(int64_t* out) const {
  if (repr() == kInt) {
    *out = int_value();
    return true;
  }
  char scratch[24];
  std::string_view s = str(scratch);
  return s.size() <= 20 && parse_int64(s, out);
}

size_t Value::heap_bytes() const {
  if (repr() == kHeap) return sizeof(HeapStr) + heap()->cap;
  if (repr() == kObject) return object()->memory_usage();
  return 0;
}

const char* Value::encoding() const {
  switch (repr()) {
    case kInt:
      return "int";
    case kInline:
      return (bytes_[15] & kRawFlag) ? "raw" : "embstr";
    case kHeap: {
      // Redis reports embstr for strings created at 44 bytes or less.
      if (bytes_[15] & kRawFlag) return "raw";
      return heap()->len <= 44 ? "embstr" : "raw";
    }
    case kEmbedded:
      return "embstr";  // at most kMaxEmbedded (44) bytes
    case kObject:
      return object()->encoding();
  }
  return "none";
}

char* Value::mutable_bytes(size_t len) {
  if (repr() == kHeap && (bytes_[15] & kRawFlag)) {
    HeapStr* h = heap();
    if (h->cap >= len) {
      if (h->len < len) {
        std::memset(h->data() + h->len, 0, len - h->len);
        h->len = static_cast<uint32_t>(len);
      }
      return h->data();
    }
  }
  char scratch[24];
  std::string_view cur = str(scratch);
  size_t newlen = std::max(len, cur.size());
  // A string that grows again (APPEND, SETRANGE, SETBIT) gets room to spare,
  // as Redis's greedy growth; one made here from nothing is sized exactly, as
  // Redis creates it (50 keys made by SETRANGE at 100 KB take 5 MB, not 10).
  size_t cap = cur.empty() ? newlen : newlen < 1024 * 1024 ? newlen * 2 : newlen + 1024 * 1024;
  HeapStr* h = new_heap(cur, cap);
  std::memset(h->data() + cur.size(), 0, newlen - cur.size());
  h->len = static_cast<uint32_t>(newlen);
  destroy();
  set_heap(h, true);
  return h->data();
}

size_t Value::append(std::string_view s) {
  char scratch[24];
  size_t old = str(scratch).size();
  char* p = mutable_bytes(old + s.size());
  if (!s.empty()) std::memcpy(p + old, s.data(), s.size());
  return old + s.size();
}

void Value::destroy() {
  if (repr() == kHeap)
    std::free(heap());
  else if (repr() == kObject)
    delete object();
  std::memset(bytes_, 0, sizeof bytes_);
}

}  // namespace kvd::engine
