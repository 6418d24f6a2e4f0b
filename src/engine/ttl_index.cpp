#include "kvd/engine/ttl_index.hpp"

#include <cstdlib>
#include <new>
#include <utility>

namespace kvd::engine {

namespace {
constexpr size_t kMinCap = 16;
}  // namespace

TtlIndex::~TtlIndex() {
  std::free(slots_);
}

void TtlIndex::swap(TtlIndex& other) {
  std::swap(slots_, other.slots_);
  std::swap(cap_, other.cap_);
  std::swap(used_, other.used_);
}

// Entries are at least 8-byte aligned: multiply the address by an odd
// constant and keep the high bits, which every address bit feeds.
size_t TtlIndex::home(const Entry* e) const {
  uint64_t h = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(e)) * 0x9E3779B97F4A7C15ull;
  return static_cast<size_t>(h ^ (h >> 29)) & (cap_ - 1);
}

size_t TtlIndex::find(const Entry* e) const {
  if (used_ == 0) return cap_;
  const size_t mask = cap_ - 1;
  for (size_t i = home(e);; i = (i + 1) & mask) {
    if (slots_[i].e == e) return i;
    if (slots_[i].e == nullptr) return cap_;
  }
}

int64_t TtlIndex::get(const Entry* e, int64_t missing) const {
  size_t i = find(e);
  return i == cap_ ? missing : slots_[i].when;
}

void TtlIndex::rehash(size_t cap) {
  auto* fresh = static_cast<Slot*>(std::calloc(cap, sizeof(Slot)));
  if (!fresh) throw std::bad_alloc();
  Slot* old = slots_;
  size_t old_cap = cap_;
  slots_ = fresh;
  cap_ = cap;
  for (size_t i = 0; i < old_cap; ++i) {
    if (!old[i].e) continue;
    size_t j = home(old[i].e);
    while (slots_[j].e) j = (j + 1) & (cap_ - 1);
    slots_[j] = old[i];
  }
  std::free(old);
}

void TtlIndex::set(Entry* e, int64_t when_ms) {
  if (size_t i = find(e); i != cap_) {
    slots_[i].when = when_ms;
    return;
  }
  // Grow at 3/4 full: linear probing degrades quickly past that.
  if ((used_ + 1) * 4 > cap_ * 3) rehash(cap_ ? cap_ * 2 : kMinCap);
  size_t i = home(e);
  while (slots_[i].e) i = (i + 1) & (cap_ - 1);
  slots_[i] = {e, when_ms};
  ++used_;
}

bool TtlIndex::erase(const Entry* e) {
  size_t i = find(e);
  if (i == cap_) return false;
  // Backward-shift deletion: pull later members of the probe run into the
  // hole when their home is not between the hole and their slot, so lookups
  // never need tombstones.
  const size_t mask = cap_ - 1;
  size_t hole = i;
  for (size_t j = (i + 1) & mask; slots_[j].e; j = (j + 1) & mask) {
    size_t h = home(slots_[j].e);
    bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    hole = j;
  }
  slots_[hole] = {nullptr, 0};
  --used_;
  if (used_ == 0) {
    clear();
  } else if (cap_ > kMinCap && used_ * 8 < cap_) {
    rehash(cap_ / 2);
  }
  return true;
}

void TtlIndex::clear() {
  std::free(slots_);
  slots_ = nullptr;
  cap_ = 0;
  used_ = 0;
}

Entry* TtlIndex::at_cursor(size_t* cursor, int64_t* when_ms) const {
  const size_t mask = cap_ - 1;
  size_t i = *cursor & mask;
  while (!slots_[i].e) i = (i + 1) & mask;
  *cursor = i;
  *when_ms = slots_[i].when;
  return slots_[i].e;
}

}  // namespace kvd::engine
