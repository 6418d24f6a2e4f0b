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
  std::free(old_);
}

void TtlIndex::swap(TtlIndex& other) {
  std::swap(slots_, other.slots_);
  std::swap(cap_, other.cap_);
  std::swap(used_, other.used_);
  std::swap(old_, other.old_);
  std::swap(old_cap_, other.old_cap_);
  std::swap(old_used_, other.old_used_);
  std::swap(migrated_, other.migrated_);
}

// Entries are at least 8-byte aligned: multiply the address by an odd
// constant and keep the high bits, which every address bit feeds.
size_t TtlIndex::home(const Entry* e, size_t cap) {
  uint64_t h = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(e)) * 0x9E3779B97F4A7C15ull;
  return static_cast<size_t>(h ^ (h >> 29)) & (cap - 1);
}

size_t TtlIndex::find_in(const Slot* s, size_t cap, const Entry* e) {
  if (cap == 0) return cap;
  const size_t mask = cap - 1;
  for (size_t i = home(e, cap);; i = (i + 1) & mask) {
    if (s[i].e == e) return i;
    if (s[i].e == nullptr) return cap;  // tombstones do not end a probe run
  }
}

void TtlIndex::place(Slot* s, size_t cap, Slot slot) {
  size_t i = home(slot.e, cap);
  while (s[i].e) i = (i + 1) & (cap - 1);
  s[i] = slot;
}

int64_t TtlIndex::get(const Entry* e, int64_t missing) const {
  if (size_t i = find_in(slots_, cap_, e); i != cap_) return slots_[i].when;
  if (old_) {
    if (size_t i = find_in(old_, old_cap_, e); i != old_cap_) return old_[i].when;
  }
  return missing;
}

void TtlIndex::start_resize(size_t cap) {
  auto* fresh = static_cast<Slot*>(std::calloc(cap, sizeof(Slot)));
  if (!fresh) throw std::bad_alloc();
  old_ = slots_;
  old_cap_ = cap_;
  old_used_ = used_;
  migrated_ = 0;
  slots_ = fresh;
  cap_ = cap;
  used_ = 0;
}

void TtlIndex::finish_resize() {
  migrate(old_cap_);
}

void TtlIndex::migrate(size_t n) {
  if (!old_) return;
  for (; n > 0 && migrated_ < old_cap_; --n, ++migrated_) {
    Slot& s = old_[migrated_];
    if (!live(s.e)) continue;
    place(slots_, cap_, s);
    s.e = kGone;  // the old array only ever holds entries not yet moved
    ++used_;
    --old_used_;
  }
  if (migrated_ == old_cap_ || old_used_ == 0) {
    std::free(old_);
    old_ = nullptr;
    old_cap_ = old_used_ = migrated_ = 0;
  }
}

// Slots moved per write: the new array is twice the old, so the old one is
// empty long before the new one fills (it would take old_cap/2 more inserts).
static constexpr size_t kMigrateStep = 16;

void TtlIndex::set(Entry* e, int64_t when_ms) {
  migrate(kMigrateStep);
  if (size_t i = find_in(slots_, cap_, e); i != cap_) {
    slots_[i].when = when_ms;
    return;
  }
  if (old_) {
    if (size_t i = find_in(old_, old_cap_, e); i != old_cap_) {
      old_[i].when = when_ms;
      return;
    }
  }
  // Grow at 3/4 full: linear probing degrades quickly past that. A resize
  // still draining when the new array fills (not expected) is finished first.
  if (old_ && (used_ + old_used_ + 1) * 4 > cap_ * 3) finish_resize();
  if (!old_ && (used_ + 1) * 4 > cap_ * 3) {
    if (cap_ == 0) {
      slots_ = static_cast<Slot*>(std::calloc(kMinCap, sizeof(Slot)));
      if (!slots_) throw std::bad_alloc();
      cap_ = kMinCap;
    } else {
      start_resize(cap_ * 2);
    }
  }
  place(slots_, cap_, {e, when_ms});
  ++used_;
}

bool TtlIndex::erase(const Entry* e) {
  migrate(kMigrateStep);
  if (old_) {
    if (size_t i = find_in(old_, old_cap_, e); i != old_cap_) {
      old_[i] = {kGone, 0};
      --old_used_;
      if (old_used_ == 0) migrate(0);  // frees the drained array
      if (empty()) clear();
      return true;
    }
  }
  size_t i = find_in(slots_, cap_, e);
  if (i == cap_) return false;
  // Backward-shift deletion: pull later members of the probe run into the
  // hole when their home is not between the hole and their slot, so lookups
  // never need tombstones (the current array never holds any).
  const size_t mask = cap_ - 1;
  size_t hole = i;
  for (size_t j = (i + 1) & mask; slots_[j].e; j = (j + 1) & mask) {
    size_t h = home(slots_[j].e, cap_);
    bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    hole = j;
  }
  slots_[hole] = {nullptr, 0};
  --used_;
  if (empty()) {
    clear();
  } else if (!old_ && cap_ > kMinCap && used_ * 8 < cap_) {
    start_resize(cap_ / 2);
  }
  return true;
}

void TtlIndex::clear() {
  std::free(slots_);
  std::free(old_);
  slots_ = old_ = nullptr;
  cap_ = used_ = old_cap_ = old_used_ = migrated_ = 0;
}

Entry* TtlIndex::at_cursor(size_t* cursor, int64_t* when_ms) const {
  // Cursor positions run over the current array, then the draining one. An
  // entry moved mid-walk may be seen twice or missed once in a pass: active
  // expiry samples, and the next pass finds it.
  const size_t total = cap_ + old_cap_;
  size_t i = *cursor % total;
  auto at = [&](size_t k) -> const Slot& { return k < cap_ ? slots_[k] : old_[k - cap_]; };
  while (!live(at(i).e)) i = i + 1 == total ? 0 : i + 1;
  *cursor = i;
  *when_ms = at(i).when;
  return at(i).e;
}

}  // namespace kvd::engine
