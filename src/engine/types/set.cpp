#include "kvd/engine/types/set.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "kvd/common/strings.hpp"
#include "kvd/engine/database.hpp"

namespace kvd::engine {

SetObject* SetObject::create(size_t int_bytes) {
  // The inline room is the union plus whatever the allocation adds past it;
  // it never needs to be less than the 8 bytes the union has anyway.
  if (int_bytes < sizeof(U)) int_bytes = sizeof(U);
  if (int_bytes > UINT16_MAX) int_bytes = sizeof(U);  // big sets go out of line
  size_t header = sizeof(SetObject) - sizeof(U);
  void* mem = ::operator new(header + int_bytes);
  auto* s = new (mem) SetObject();
  s->inline_cap_ = static_cast<uint16_t>(int_bytes);
  return s;
}

SetObject* SetObject::create_for(size_t members, uint8_t width) {
  if (!width) {
    SetObject* s = create();
    s->convert_to_table();
    s->u_.table->reserve(members);
    return s;
  }
  return create(members * width);
}

SetObject::~SetObject() {
  if (is_table())
    delete u_.table;
  else if (!inline_cap_)
    std::free(u_.heap);
}

Object* SetObject::clone() const {
  if (is_table()) {
    SetObject* s = create();
    s->width_ = 0;
    s->inline_cap_ = 0;
    s->u_.table = new StrTable(*u_.table);
    return s;
  }
  size_t bytes = static_cast<size_t>(count_) * width_;
  SetObject* s = create(bytes);
  s->reserve_ints(bytes);
  if (bytes) std::memcpy(s->ints(), ints(), bytes);
  s->count_ = count_;
  s->width_ = width_;
  return s;
}

std::string_view SetObject::format(int64_t v, char* buf) {
  return {buf, format_int64(v, buf)};
}

uint8_t SetObject::width_for(int64_t v) {
  if (v >= INT8_MIN && v <= INT8_MAX) return 1;
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

int64_t SetObject::at(uint32_t i) const {
  const char* p = ints() + static_cast<size_t>(i) * width_;
  switch (width_) {
    case 1: return static_cast<int8_t>(*p);
    case 2: {
      int16_t v;
      std::memcpy(&v, p, 2);
      return v;
    }
    case 4: {
      int32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    default: {
      int64_t v;
      std::memcpy(&v, p, 8);
      return v;
    }
  }
}

void SetObject::put(char* base, uint8_t width, uint32_t i, int64_t v) {
  char* p = base + static_cast<size_t>(i) * width;
  switch (width) {
    case 1: *p = static_cast<char>(static_cast<int8_t>(v)); break;
    case 2: {
      auto x = static_cast<int16_t>(v);
      std::memcpy(p, &x, 2);
      break;
    }
    case 4: {
      auto x = static_cast<int32_t>(v);
      std::memcpy(p, &x, 4);
      break;
    }
    default: std::memcpy(p, &v, 8);
  }
}

uint32_t SetObject::search(int64_t v, bool* found) const {
  uint32_t lo = 0, hi = count_;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int64_t m = at(mid);
    if (m == v) {
      *found = true;
      return mid;
    }
    if (m < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = false;
  return lo;
}

void SetObject::reserve_ints(size_t bytes) {
  if (inline_cap_) {
    if (bytes <= inline_cap_) return;
    // Out of line from now on: the inline room is too small.
    char* heap = static_cast<char*>(std::malloc(bytes));
    if (!heap) throw std::bad_alloc();
    std::memcpy(heap, u_.inl, static_cast<size_t>(count_) * width_);
    inline_cap_ = 0;
    u_.heap = heap;
    return;
  }
  // Exact size: intsets are small and mostly built once.
  char* heap = static_cast<char*>(std::realloc(u_.heap, bytes ? bytes : 1));
  if (!heap) throw std::bad_alloc();
  u_.heap = heap;
}

bool SetObject::int_add(int64_t v, const SetLimits& limits) {
  bool found;
  uint32_t pos = search(v, &found);
  if (found) return false;
  if (count_ + 1 > limits.max_intset_entries) {
    convert_to_table();
    char buf[24];
    return u_.table->add(format(v, buf));
  }
  uint8_t w = width_for(v);
  if (w > width_) {
    // Widen every member; the new value is the smallest or the largest, so
    // it goes to one end.
    size_t bytes = static_cast<size_t>(count_ + 1) * w;
    char* tmp = static_cast<char*>(std::malloc(bytes));
    if (!tmp) throw std::bad_alloc();
    uint32_t shift = v < 0 ? 1 : 0;
    for (uint32_t i = 0; i < count_; ++i) put(tmp, w, i + shift, at(i));
    put(tmp, w, v < 0 ? 0 : count_, v);
    reserve_ints(bytes);
    std::memcpy(ints(), tmp, bytes);
    std::free(tmp);
    width_ = w;
    ++count_;
    return true;
  }
  reserve_ints(static_cast<size_t>(count_ + 1) * width_);
  char* base = ints();
  std::memmove(base + static_cast<size_t>(pos + 1) * width_, base + static_cast<size_t>(pos) * width_,
               static_cast<size_t>(count_ - pos) * width_);
  put(base, width_, pos, v);
  ++count_;
  return true;
}

void SetObject::int_remove_at(uint32_t i) {
  char* base = ints();
  std::memmove(base + static_cast<size_t>(i) * width_, base + static_cast<size_t>(i + 1) * width_,
               static_cast<size_t>(count_ - i - 1) * width_);
  --count_;
  if (!inline_cap_ && count_) reserve_ints(static_cast<size_t>(count_) * width_);
}

void SetObject::convert_to_table() {
  auto* t = new StrTable;
  t->reserve(count_);
  if (!is_table()) {
    for_each([&](std::string_view m) { t->add(m); });
    if (!inline_cap_) std::free(u_.heap);
  }
  inline_cap_ = 0;
  width_ = 0;
  count_ = 0;
  u_.table = t;
}

bool SetObject::add(std::string_view member, const SetLimits& limits) {
  if (!is_table()) {
    int64_t v;
    if (member.size() <= 20 && parse_int64(member, &v)) return int_add(v, limits);
    convert_to_table();
  }
  return u_.table->add(member);
}

bool SetObject::remove(std::string_view member) {
  if (is_table()) return u_.table->erase(member);
  int64_t v;
  if (member.size() > 20 || !parse_int64(member, &v)) return false;
  bool found;
  uint32_t pos = search(v, &found);
  if (!found) return false;
  int_remove_at(pos);
  return true;
}

bool SetObject::contains(std::string_view member) const {
  if (is_table()) return u_.table->find(member) != nullptr;
  int64_t v;
  if (member.size() > 20 || !parse_int64(member, &v)) return false;
  bool found;
  search(v, &found);
  return found;
}

std::string_view SetObject::random(char* scratch) const {
  if (is_table()) return u_.table->random()->key();
  return format(at(static_cast<uint32_t>(fast_random() % count_)), scratch);
}

std::string SetObject::pop_random() {
  if (is_table()) {
    std::string m(u_.table->random()->key());
    u_.table->erase(m);
    return m;
  }
  auto i = static_cast<uint32_t>(fast_random() % count_);
  char buf[24];
  std::string m(format(at(i), buf));
  int_remove_at(i);
  return m;
}

size_t SetObject::memory() const {
  size_t header = sizeof(SetObject) - sizeof(U);
  if (is_table()) return sizeof(SetObject) + u_.table->memory();
  if (inline_cap_) return header + inline_cap_;
  return sizeof(SetObject) + static_cast<size_t>(count_) * width_;
}

}  // namespace kvd::engine
