#include "kvd/engine/database.hpp"

#include <string>

#include "kvd/engine/access_tracking.hpp"
#include "kvd/engine/clock.hpp"
#include "kvd/engine/lazy_freer.hpp"

namespace kvd::engine {

uint64_t fast_random() {
  // xorshift64*: sampling needs speed, not unpredictability.
  static thread_local uint64_t state = 0x9E3779B97F4A7C15ull ^ reinterpret_cast<uintptr_t>(&state);
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 2685821657736338717ull;
}

Database::~Database() {
  dict_.clear([](Entry* e) { Entry::destroy(e); });
}

Entry* Database::find(std::string_view key, int64_t now_ms) {
  Entry* e = dict_.find(key);
  if (e && is_expired(e, now_ms)) {
    if (!(expiry_paused_ && *expiry_paused_) && !(replica_ && *replica_)) expire_entry(e);
    return nullptr;
  }
  return e;
}

Entry* Database::find_for_write(std::string_view key, int64_t now_ms) {
  Entry* e = dict_.find(key);
  if (e && is_expired(e, now_ms)) {
    const bool read_only_replica =
        replica_ && *replica_ && replica_read_only_ && *replica_read_only_;
    if (!(expiry_paused_ && *expiry_paused_) && !read_only_replica) expire_entry(e);
    return nullptr;
  }
  return e;
}

size_t Database::expire_replica_written_keys(int64_t now_ms) {
  size_t deleted = 0;
  for (auto it = replica_written_.begin(); it != replica_written_.end();) {
    Entry* e = dict_.find(*it);
    if (e && e->has_ttl && ttl_.get(e, kNoExpire) <= now_ms) {
      expire_entry(e);
      ++deleted;
      it = replica_written_.erase(it);
    } else if (!e || !e->has_ttl) {
      it = replica_written_.erase(it);  // deleted or persisted meanwhile
    } else {
      ++it;
    }
  }
  return deleted;
}

// Deletes an expired key and tells the listener; the key is copied first since
// it lives in the entry being freed.
void Database::expire_entry(Entry* e) {
  ++expired_;
  if (!on_expired_) {
    remove(e->key());
    return;
  }
  std::string key(e->key());
  remove(key);
  on_expired_(id_, key);
}

// A new value starts its idle time at creation, as a fresh Redis object does.
uint32_t Database::lru_now() const {
  if (!clock_) return 0;
  return access_ ? access_->initial(clock_->now_ms())
                 : static_cast<uint32_t>(clock_->now_ms() / 1000);
}

// Collections above the threshold are worth a background free; strings (and
// an empty value) never are.
static bool worth_lazy_free(const Value& v) {
  return v.type() != ValueType::kString && !v.empty() &&
         v.object()->element_count() > kLazyFreeThreshold;
}

Entry* Database::add(std::string_view key, Value v) {
  // A replica keeps expired keys until its master's DEL; a write of its own
  // client replaces one (the command found it missing) rather than adding a
  // second entry under the same name.
  if (replica_own_write()) {
    if (Entry* old = dict_.find(key)) expire_entry(old);
  }
  Entry* e = Entry::create(key, v);
  e->lru = lru_now();
  dict_.insert(e);
  if (on_added_) on_added_(id_, e->key());
  return e;
}

void Database::replace_value(Entry* e, Value v) {
  Value old = e->value;
  e->value = Value();
  e->store(v);
  if (freer_ && worth_lazy_free(old)) {
    freer_->submit([old]() mutable { old.destroy(); });
  } else {
    old.destroy();
  }
}

Entry* Database::set(std::string_view key, Value v, bool keep_ttl) {
  // An expired key is deleted first (and counted as expired), so the write
  // creates a fresh key instead of inheriting a TTL that already passed.
  Entry* e = clock_ ? find_for_write(key, clock_->now_ms()) : dict_.find(key);
  if (!e) return add(key, v);
  replace_value(e, v);
  // A new value starts a new idle time; under LFU the key keeps its counter,
  // as Redis keeps it on overwrite.
  if (!access_ || !access_->lfu) e->lru = lru_now();
  if (!keep_ttl) persist(e);
  return e;
}

void Database::free_entry(Entry* e) {
  if (freer_ && worth_lazy_free(e->value)) {
    freer_->submit([e] { Entry::destroy(e); });
  } else {
    Entry::destroy(e);
  }
}

bool Database::remove(std::string_view key) {
  Entry* e = dict_.unlink(key);
  if (!e) return false;
  if (e->has_ttl) ttl_.erase(e);
  free_entry(e);
  return true;
}

Entry* Database::detach(std::string_view key, int64_t* expire_at) {
  Entry* e = dict_.unlink(key);
  if (expire_at) *expire_at = e ? expire_of(e) : kNoExpire;
  if (e && e->has_ttl) {
    ttl_.erase(e);
    e->has_ttl = 0;
  }
  return e;
}

void Database::attach(Entry* e, int64_t expire_at) {
  dict_.insert(e);
  if (expire_at != kNoExpire) set_expire(e, expire_at);
  if (on_added_) on_added_(id_, e->key());
}

void Database::set_expire(Entry* e, int64_t when_ms) {
  ttl_.set(e, when_ms);
  e->has_ttl = 1;
  if (replica_own_write()) replica_written_.emplace(e->key());
}

void Database::persist(Entry* e) {
  if (!e->has_ttl) return;
  ttl_.erase(e);
  e->has_ttl = 0;
}

void Database::clear(LazyFreer* freer) {
  ttl_.clear();
  replica_written_.clear();
  if (freer && dict_.size() > 0) {
    auto* old = new Dict();
    old->swap(dict_);
    freer->submit([old] { delete old; });
  } else {
    dict_.clear([](Entry* e) { Entry::destroy(e); });
  }
}

void Database::swap(Database& other) {
  dict_.swap(other.dict_);
  ttl_.swap(other.ttl_);
  replica_written_.swap(other.replica_written_);
}

size_t Database::active_expire(int64_t now_ms, int64_t deadline_us, int64_t (*mono_us)()) {
  constexpr int kSample = 20;
  if (expiry_paused_ && *expiry_paused_) return 0;  // CLIENT PAUSE: nothing expires
  size_t deleted = 0;
  int iterations = 0;
  while (!ttl_.empty()) {
    int sampled = 0, expired = 0;
    for (int i = 0; i < kSample && !ttl_.empty(); ++i) {
      int64_t when;
      Entry* e = ttl_.at_cursor(&ttl_cursor_, &when);
      ++sampled;
      if (when <= now_ms) {
        expire_entry(e);  // the slot may now hold the next entry: stay
        ++expired;
      } else {
        ++ttl_cursor_;
      }
    }
    deleted += expired;
    // Keep going only while more than 10% of the sample was stale (Redis 7's
    // threshold at the default active-expire-effort), never past the budget.
    if (expired * 10 <= sampled) break;
    if ((++iterations & 15) == 0 && mono_us() > deadline_us) break;
  }
  return deleted;
}

int64_t Database::avg_ttl(int64_t now_ms) const {
  if (ttl_.empty()) return 0;
  size_t n = ttl_.size() < 64 ? ttl_.size() : 64;
  int64_t sum = 0;
  ttl_.for_first(n, [&](int64_t when) {
    int64_t left = when - now_ms;
    sum += left > 0 ? left : 0;
  });
  return sum / static_cast<int64_t>(n);
}

}  // namespace kvd::engine
