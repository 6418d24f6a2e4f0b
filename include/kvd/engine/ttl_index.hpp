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
//
// Resizing is incremental, as the key table's is: a new slot array is opened
// and each later write (and the cron, through migrate()) moves a run of old
// slots into it. Moving a million slots at once stalled the loop for 95 ms.
// The old array only loses entries while it drains: they become tombstones
// (kGone), so its probe runs stay intact without backward shifts.
class TtlIndex {
 public:
  TtlIndex() = default;
  ~TtlIndex();
  TtlIndex(const TtlIndex&) = delete;
  TtlIndex& operator=(const TtlIndex&) = delete;
  void swap(TtlIndex& other);

  size_t size() const { return used_ + old_used_; }
  bool empty() const { return size() == 0; }
  // Bytes held by the slot arrays.
  size_t bytes() const { return (cap_ + old_cap_) * sizeof(Slot); }
  bool migrating() const { return old_ != nullptr; }
  // Moves up to `slots` old slots into the new array (the cron's share).
  void migrate(size_t slots);

  // The deadline recorded for e, or `missing` when it has none.
  int64_t get(const Entry* e, int64_t missing) const;
  // Records or updates the deadline of e.
  void set(Entry* e, int64_t when_ms);
  // Forgets e; returns false when it was not recorded.
  bool erase(const Entry* e);
  void clear();

  // The first recorded entry at or after slot *cursor (wrapping around, over
  // both arrays while resizing; the index must not be empty); *cursor becomes
  // its slot and *when_ms its
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
    for (size_t i = migrated_; i < old_cap_ && n > 0; ++i) {
      if (live(old_[i].e)) {
        fn(old_[i].when);
        --n;
      }
    }
  }

 private:
  struct Slot {
    Entry* e;
    int64_t when;
  };
  static inline Entry* const kGone = reinterpret_cast<Entry*>(alignof(void*));
  static bool live(const Entry* e) { return e != nullptr && e != kGone; }
  static size_t home(const Entry* e, size_t cap);
  // Slot of e in the array, or cap when absent.
  static size_t find_in(const Slot* s, size_t cap, const Entry* e);
  static void place(Slot* s, size_t cap, Slot slot);
  // Starts moving everything into a fresh array of `cap` slots.
  void start_resize(size_t cap);
  void finish_resize();

  Slot* slots_ = nullptr;  // the current array: inserts go here
  size_t cap_ = 0;         // a power of two, or 0
  size_t used_ = 0;
  Slot* old_ = nullptr;  // the array being drained, or null
  size_t old_cap_ = 0;
  size_t old_used_ = 0;
  size_t migrated_ = 0;  // old slots below this have been moved
};

}  // namespace kvd::engine
