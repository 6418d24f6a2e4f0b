#pragma once

#include <cstddef>
#include <cstdint>

namespace kvd::engine {

struct Entry;

// The keys of one database that carry a TTL, with their deadlines. It lives
// beside the key table so that a key without a TTL pays nothing for expiry
// (Entry has only a flag bit); a key with one costs a 16-byte slot here.
//
// Open addressing keyed by the entry's address: linear probing with
// backward-shift deletion, kept between 1/8 and 3/4 full. Active expiry walks
// it with a cursor (as Redis walks its expires table), so every key with a TTL
// is looked at in turn.
class TtlIndex {
 public:
  TtlIndex() = default;
  ~TtlIndex();
  TtlIndex(const TtlIndex&) = delete;
  TtlIndex& operator=(const TtlIndex&) = delete;
  void swap(TtlIndex& other);

  size_t size() const { return used_; }
  bool empty() const { return used_ == 0; }
  // Bytes held by the slot array.
  size_t bytes() const { return cap_ * sizeof(Slot); }

  // The deadline recorded for e, or `missing` when it has none.
  int64_t get(const Entry* e, int64_t missing) const;
  // Records or updates the deadline of e.
  void set(Entry* e, int64_t when_ms);
  // Forgets e; returns false when it was not recorded.
  bool erase(const Entry* e);
  void clear();

  // The first recorded entry at or after slot *cursor (wrapping around; the
  // index must not be empty); *cursor becomes its slot and *when_ms its
  // deadline. The caller advances *cursor past an entry it keeps; after it
  // erases one, the same slot may hold the next entry to look at.
  Entry* at_cursor(size_t* cursor, int64_t* when_ms) const;
  // Calls fn(deadline) for up to n recorded entries, for INFO's avg_ttl.
  template <class F>
  void for_first(size_t n, F&& fn) const {
    for (size_t i = 0; i < cap_ && n > 0; ++i) {
      if (slots_[i].e) {
        fn(slots_[i].when);
        --n;
      }
    }
  }

 private:
  struct Slot {
    Entry* e;
    int64_t when;
  };
  size_t home(const Entry* e) const;
  // Slot holding e, or cap_ when absent.
  size_t find(const Entry* e) const;
  void rehash(size_t cap);

  Slot* slots_ = nullptr;
  size_t cap_ = 0;  // a power of two, or 0
  size_t used_ = 0;
};

}  // namespace kvd::engine
