#include "kvd/engine/types/set.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "kvd/common/strings.hpp"
#include "kvd/engine/database.hpp"

namespace kvd::engine {

static_assert(sizeof(SetObject) == 16, "vtable pointer + hdr_ + 4 bytes of inline room");

SetObject* SetObject::create(size_t int_bytes) {
  // The room always holds a pointer (out-of-line integers or the table); big
  // sets start out of line rather than as one huge object.
  size_t room = int_bytes < sizeof(void*) ? sizeof(void*) : int_bytes;
  if (room > kMaxRoom) room = sizeof(void*);
  room = (room + 3) & ~size_t{3};
  void* mem = ::operator new(kHeader + room);
  auto* s = new (mem) SetObject();
  s->hdr_ = static_cast<uint32_t>(room / 4) << kRoomShift;
  s->set_width(1);
  return s;
}

SetObject* SetObject::create_for(size_t members, uint8_t width) {
  if (!width) {
    SetObject* s = create();
    s->convert_to_table();
    s->table()->reserve(members);
    return s;
  }
  return create(members * width);
}

SetObject::~SetObject() {
  if (is_table())
    delete table();
  else if (external())
    std::free(ext());
}

Object* SetObject::clone() const {
  if (is_table()) {
    SetObject* s = create();
    s->set_width(0);
    s->set_pointer(new StrTable(*table()));
    return s;
  }
  size_t bytes = static_cast<size_t>(count()) * width();
  SetObject* s = create(bytes);
  s->set_width(width());
  s->reserve_ints(bytes);
  if (bytes) std::memcpy(s->ints(), ints(), bytes);
  s->set_count(count());
  return s;
}

void SetObject::set_count(uint32_t n) {
  if (external())
    ext()->count = n;
  else
    hdr_ = (hdr_ & ~kCountMask) | n;
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
  const char* p = ints() + static_cast<size_t>(i) * width();
  switch (width()) {
    case 1:
      return static_cast<int8_t>(*p);
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
    case 1:
      *p = static_cast<char>(static_cast<int8_t>(v));
      break;
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
    default:
      std::memcpy(p, &v, 8);
  }
}

uint32_t SetObject::search(int64_t v, bool* found) const {
  uint32_t lo = 0, hi = count();
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
  if (!external()) {
    // The inline count field is 16 bits; past it (or the room) go out of line.
    if (bytes <= room() && bytes / width() <= kCountMask) return;
    uint32_t n = count();
    auto* block = static_cast<Ints*>(std::malloc(sizeof(Ints) + bytes));
    if (!block) throw std::bad_alloc();
    block->count = n;
    block->cap = static_cast<uint32_t>(bytes);
    std::memcpy(block->data(), inline_bytes(), static_cast<size_t>(n) * width());
    hdr_ = (hdr_ & ~kCountMask) | kExternal;
    set_pointer(block);
    return;
  }
  Ints* block = ext();
  if (block->cap == bytes) return;
  // Exact size: intsets are small and mostly built once.
  block = static_cast<Ints*>(std::realloc(block, sizeof(Ints) + bytes));
  if (!block) throw std::bad_alloc();
  block->cap = static_cast<uint32_t>(bytes);
  set_pointer(block);
}

bool SetObject::int_add(int64_t v, const SetLimits& limits) {
  bool found;
  uint32_t pos = search(v, &found);
  if (found) return false;
  uint32_t n = count();
  if (n + 1 > limits.max_intset_entries || n + 1 > UINT32_MAX / 8) {
    convert_to_table();
    char buf[24];
    return table()->add(format(v, buf));
  }
  uint8_t w = width_for(v);
  if (w > width()) {
    // Widen every member; the new value is the smallest or the largest, so
    // it goes to one end.
    size_t bytes = static_cast<size_t>(n + 1) * w;
    char* tmp = static_cast<char*>(std::malloc(bytes));
    if (!tmp) throw std::bad_alloc();
    uint32_t shift = v < 0 ? 1 : 0;
    for (uint32_t i = 0; i < n; ++i) put(tmp, w, i + shift, at(i));
    put(tmp, w, v < 0 ? 0 : n, v);
    // Nothing to carry over: tmp already holds every member at the new width.
    set_count(0);
    set_width(w);
    reserve_ints(bytes);
    std::memcpy(ints(), tmp, bytes);
    std::free(tmp);
    set_count(n + 1);
    return true;
  }
  reserve_ints(static_cast<size_t>(n + 1) * width());
  char* base = ints();
  size_t wd = width();
  std::memmove(base + (pos + 1) * wd, base + pos * wd, (n - pos) * wd);
  put(base, width(), pos, v);
  set_count(n + 1);
  return true;
}

void SetObject::int_remove_at(uint32_t i) {
  uint32_t n = count();
  char* base = ints();
  size_t wd = width();
  std::memmove(base + i * wd, base + (i + 1) * wd, (n - i - 1) * wd);
  set_count(n - 1);
  if (external() && n > 1) reserve_ints((n - 1) * wd);
}

void SetObject::convert_to_table() {
  auto* t = new StrTable;
  if (!is_table()) {
    t->reserve(count());
    for_each([&](std::string_view m) { t->add(m); });
    if (external()) std::free(ext());
  }
  hdr_ &= ~(kCountMask | kExternal);
  set_width(0);
  set_pointer(t);
}

bool SetObject::add(std::string_view member, const SetLimits& limits) {
  if (!is_table()) {
    int64_t v;
    if (member.size() <= 20 && parse_int64(member, &v)) return int_add(v, limits);
    convert_to_table();
  }
  return table()->add(member);
}

bool SetObject::remove(std::string_view member) {
  if (is_table()) return table()->erase(member);
  int64_t v;
  if (member.size() > 20 || !parse_int64(member, &v)) return false;
  bool found;
  uint32_t pos = search(v, &found);
  if (!found) return false;
  int_remove_at(pos);
  return true;
}

bool SetObject::contains(std::string_view member) const {
  if (is_table()) return table()->find(member) != nullptr;
  int64_t v;
  if (member.size() > 20 || !parse_int64(member, &v)) return false;
  bool found;
  search(v, &found);
  return found;
}

std::string_view SetObject::random(char* scratch) const {
  if (is_table()) return table()->random()->key();
  return format(at(static_cast<uint32_t>(fast_random() % count())), scratch);
}

std::string SetObject::pop_random() {
  if (is_table()) {
    std::string m(table()->random()->key());
    table()->erase(m);
    return m;
  }
  auto i = static_cast<uint32_t>(fast_random() % count());
  char buf[24];
  std::string m(format(at(i), buf));
  int_remove_at(i);
  return m;
}

size_t SetObject::memory() const {
  size_t self = kHeader + room();
  if (is_table()) return self + table()->memory();
  if (external()) return self + sizeof(Ints) + ext()->cap;
  return self;
}

}  // namespace kvd::engine
