#include "kvd/engine/dict.hpp"

#include <malloc.h>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>
#include <utility>

namespace kvd::engine {

Entry* Entry::create(std::string_view key, Value v) {
  if (key.size() > kMaxKeyLen) throw std::bad_alloc();
  char scratch[24];
  std::string_view embed = v.embeddable() ? v.str(scratch) : std::string_view();
  void* mem = std::malloc(sizeof(Entry) + key.size() + embed.size());
  if (!mem) throw std::bad_alloc();
  auto* e = static_cast<Entry*>(mem);
  e->next = nullptr;
  e->lru = 0;
  e->key_len = static_cast<uint32_t>(key.size());
  e->has_ttl = 0;
  e->spare = 0;
  if (!key.empty()) std::memcpy(e + 1, key.data(), key.size());
  e->value = Value();
  e->store(v);
  return e;
}

size_t Entry::embed_capacity() const {
  return malloc_usable_size(const_cast<Entry*>(this)) - sizeof(Entry) - key_len;
}

void Entry::store(Value v) {
  if (v.embeddable()) {
    char scratch[24];
    std::string_view s = v.str(scratch);
    if (s.size() <= embed_capacity()) {
      char* dst = reinterpret_cast<char*>(this + 1) + key_len;
      // memmove: v may already be embedded right here.
      if (!s.empty()) std::memmove(dst, s.data(), s.size());
      v.destroy();  // frees the heap block it came from (no-op if embedded)
      value = Value::embedded(dst, s.size());
      return;
    }
    if (v.embedded_len()) {
      // Embedded in another entry that may go away: copy it out.
      value = Value::text_string(s);
      return;
    }
  }
  value = v;
}

size_t Entry::alloc_bytes() const {
  return malloc_usable_size(const_cast<Entry*>(this));
}

void Entry::destroy(Entry* e) {
  e->value.destroy();
  std::free(e);
}

namespace {

inline uint64_t read64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint64_t read32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t mum(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

constexpr uint64_t kP0 = 0xa0761d6478bd642full, kP1 = 0xe7037ed1a0b428dbull,
                   kP2 = 0x8ebc6af09c88c6e3ull, kP3 = 0x589965cc75374cc3ull;

uint64_t rev_bits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
  v = ((v >> 8) & 0x00FF00FF00FF00FFull) | ((v & 0x00FF00FF00FF00FFull) << 8);
  v = ((v >> 16) & 0x0000FFFF0000FFFFull) | ((v & 0x0000FFFF0000FFFFull) << 16);
  return (v >> 32) | (v << 32);
}

}  // namespace

// A wyhash-style 64-bit hash: fast on short keys, seeded per process so that
// clients cannot precompute colliding keys.
uint64_t hash_bytes(std::string_view s, uint64_t seed) {
  const char* p = s.data();
  size_t len = s.size();
  seed ^= kP0;
  uint64_t a, b;
  if (len <= 16) {
    if (len >= 4) {
      a = (read32(p) << 32) | read32(p + ((len >> 3) << 2));
      b = (read32(p + len - 4) << 32) | read32(p + len - 4 - ((len >> 3) << 2));
    } else if (len > 0) {
      a = (static_cast<uint64_t>(static_cast<uint8_t>(p[0])) << 16) |
          (static_cast<uint64_t>(static_cast<uint8_t>(p[len >> 1])) << 8) |
          static_cast<uint8_t>(p[len - 1]);
      b = 0;
    } else {
      a = b = 0;
    }
  } else {
    size_t i = len;
    if (i > 48) {
      uint64_t s1 = seed, s2 = seed;
      do {
        seed = mum(read64(p) ^ kP1, read64(p + 8) ^ seed);
        s1 = mum(read64(p + 16) ^ kP2, read64(p + 24) ^ s1);
        s2 = mum(read64(p + 32) ^ kP3, read64(p + 40) ^ s2);
        p += 48;
        i -= 48;
      } while (i > 48);
      seed ^= s1 ^ s2;
    }
    while (i > 16) {
      seed = mum(read64(p) ^ kP1, read64(p + 8) ^ seed);
      i -= 16;
      p += 16;
    }
    a = read64(p + i - 16);
    b = read64(p + i - 8);
  }
  return mum(kP1 ^ len, mum(a ^ kP1, b ^ seed));
}

Dict::Dict() {
  std::random_device rd;
  seed_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

Dict::~Dict() {
  clear([](Entry* e) { Entry::destroy(e); });
}

void Dict::swap(Dict& other) {
  std::swap(t_, other.t_);
  std::swap(rehash_idx_, other.rehash_idx_);
  std::swap(seed_, other.seed_);
}

void Dict::resize(size_t n) {
  size_t size = 4;
  while (size < n) size <<= 1;
  Table nt;
  nt.b = static_cast<Entry**>(std::calloc(size, sizeof(Entry*)));
  if (!nt.b) throw std::bad_alloc();
  nt.size = size;
  nt.mask = size - 1;
  if (t_[0].b == nullptr) {
    t_[0] = nt;
    return;
  }
  t_[1] = nt;
  rehash_idx_ = 0;
}

void Dict::expand_if_needed() {
  if (rehashing()) return;
  if (t_[0].size == 0) {
    resize(4);
  } else if (t_[0].used >= t_[0].size) {
    resize(t_[0].used + 1);
  }
}

void Dict::shrink_if_sparse() {
  if (rehashing() || t_[0].size <= 4) return;
  if (t_[0].used * 10 < t_[0].size) resize(t_[0].used < 4 ? 4 : t_[0].used);
}

void Dict::rehash_steps(int n) {
  int empty_visits = n * 10;
  while (n-- && t_[0].used > 0) {
    while (t_[0].b[rehash_idx_] == nullptr) {
      ++rehash_idx_;
      if (--empty_visits == 0) return;
    }
    Entry* e = t_[0].b[rehash_idx_];
    while (e) {
      Entry* next = e->next;
      size_t idx = hash(e->key()) & t_[1].mask;
      e->next = t_[1].b[idx];
      t_[1].b[idx] = e;
      --t_[0].used;
      ++t_[1].used;
      e = next;
    }
    t_[0].b[rehash_idx_] = nullptr;
    ++rehash_idx_;
  }
  if (t_[0].used == 0) {
    std::free(t_[0].b);
    t_[0] = t_[1];
    t_[1] = Table{};
    rehash_idx_ = -1;
  }
}

bool Dict::rehash_for(int64_t us, int64_t (*now_us)()) {
  if (!rehashing()) return false;
  int64_t start = now_us();
  while (rehashing()) {
    rehash_steps(100);
    if (now_us() - start > us) break;
  }
  return rehashing();
}

Entry* Dict::find(std::string_view key) {
  if (size() == 0) return nullptr;
  if (rehashing()) rehash_steps(1);
  // peek() is the same walk without the rehash step; the entry is ours to change.
  return const_cast<Entry*>(peek(key, hash(key)));
}

uint64_t Dict::prefetch_bucket(std::string_view key) const {
  uint64_t h = hash(key);
  for (int t = 0; t < 2 && t_[t].size != 0; ++t) __builtin_prefetch(&t_[t].b[h & t_[t].mask]);
  return h;
}

void Dict::prefetch_chain(uint64_t h) const {
  for (int t = 0; t < 2 && t_[t].size != 0; ++t) {
    if (const Entry* e = t_[t].b[h & t_[t].mask]) __builtin_prefetch(e);
  }
}

const Entry* Dict::peek(std::string_view key, uint64_t h) const {
  for (int t = 0; t < 2 && t_[t].size != 0; ++t) {
    for (const Entry* e = t_[t].b[h & t_[t].mask]; e; e = e->next) {
      if (e->key_len == key.size() && std::memcmp(e + 1, key.data(), key.size()) == 0) return e;
    }
    if (!rehashing()) break;
  }
  return nullptr;
}

void Dict::insert(Entry* e) {
  if (rehashing()) rehash_steps(1);
  expand_if_needed();
  Table& t = rehashing() ? t_[1] : t_[0];
  size_t idx = hash(e->key()) & t.mask;
  e->next = t.b[idx];
  t.b[idx] = e;
  ++t.used;
}

Entry* Dict::unlink(std::string_view key) {
  if (size() == 0) return nullptr;
  if (rehashing()) rehash_steps(1);
  uint64_t h = hash(key);
  for (int t = 0; t < 2; ++t) {
    if (t_[t].size == 0) break;
    Entry** pp = &t_[t].b[h & t_[t].mask];
    while (*pp) {
      Entry* e = *pp;
      if (e->key_len == key.size() && std::memcmp(e + 1, key.data(), key.size()) == 0) {
        *pp = e->next;
        e->next = nullptr;
        --t_[t].used;
        return e;
      }
      pp = &e->next;
    }
    if (!rehashing()) break;
  }
  return nullptr;
}

uint64_t Dict::scan(uint64_t v, const std::function<void(Entry*)>& fn) {
  if (size() == 0) return 0;
  auto emit_bucket = [&](const Table& t, uint64_t idx) {
    for (Entry* e = t.b[idx & t.mask]; e;) {
      Entry* next = e->next;
      fn(e);
      e = next;
    }
  };
  if (!rehashing()) {
    const Table& t = t_[0];
    emit_bucket(t, v);
    v |= ~t.mask;
    v = rev_bits(v);
    ++v;
    v = rev_bits(v);
  } else {
    const Table* small = &t_[0];
    const Table* large = &t_[1];
    if (small->size > large->size) std::swap(small, large);
    emit_bucket(*small, v);
    // Visit every bucket of the larger table that expands the small bucket.
    do {
      emit_bucket(*large, v);
      v |= ~large->mask;
      v = rev_bits(v);
      ++v;
      v = rev_bits(v);
    } while (v & (small->mask ^ large->mask));
  }
  return v;
}

Entry* Dict::random_entry(uint64_t (*rng)()) {
  if (size() == 0) return nullptr;
  if (rehashing()) rehash_steps(1);
  Entry* he = nullptr;
  while (!he) {
    if (rehashing()) {
      // Buckets below rehash_idx_ in table 0 are empty.
      size_t span = t_[0].size + t_[1].size - rehash_idx_;
      size_t h = rehash_idx_ + rng() % span;
      he = h >= t_[0].size ? t_[1].b[h - t_[0].size] : t_[0].b[h];
    } else {
      he = t_[0].b[rng() & t_[0].mask];
    }
  }
  size_t len = 0;
  for (Entry* e = he; e; e = e->next) ++len;
  size_t pick = rng() % len;
  while (pick--) he = he->next;
  return he;
}

size_t Dict::sample(size_t n, Entry** out, uint64_t (*rng)()) {
  if (size() == 0 || n == 0) return 0;
  if (rehashing()) rehash_steps(1);
  // Positions run over table 0 from rehash_idx_ (the buckets below it are
  // empty while rehashing), then over table 1.
  const size_t first = rehashing() ? static_cast<size_t>(rehash_idx_) : 0;
  const size_t span = t_[0].size - first + (rehashing() ? t_[1].size : 0);
  auto bucket = [&](size_t pos) {
    return pos < t_[0].size - first ? t_[0].b[first + pos] : t_[1].b[pos - (t_[0].size - first)];
  };
  size_t pos = rng() % span;
  size_t got = 0;
  if (span <= 10 * n) {
    // A small table: one pass over every bucket.
    for (size_t steps = 0; steps < span && got < n; ++steps) {
      for (Entry* e = bucket(pos); e && got < n; e = e->next) out[got++] = e;
      if (++pos == span) pos = 0;
    }
    return got;
  }
  // First the bucket heads, each prefetched, so the entries' cache misses
  // overlap instead of coming one after another. A run of empty buckets
  // means a sparse stretch: jump elsewhere rather than walk it. Past 10 * n
  // steps, stop with what was found (at least one).
  Entry* heads[64];
  const size_t want = n < 64 ? n : 64;
  size_t found = 0;
  size_t empty_run = 0;
  for (size_t steps = 0; found < want && (found == 0 || steps < 10 * n); ++steps) {
    Entry* he = bucket(pos);
    if (!he && ++empty_run >= 5) {
      pos = rng() % span;
      empty_run = 0;
      continue;
    }
    if (he) {
      empty_run = 0;
      __builtin_prefetch(he);
      heads[found++] = he;
    }
    if (++pos == span) pos = 0;
  }
  for (size_t i = 0; i < found && got < n; ++i) {
    for (Entry* e = heads[i]; e && got < n; e = e->next) out[got++] = e;
  }
  return got;
}

void Dict::for_each(const std::function<void(Entry*)>& fn) const {
  for (int t = 0; t < 2; ++t) {
    for (size_t i = 0; i < t_[t].size; ++i) {
      for (Entry* e = t_[t].b[i]; e;) {
        Entry* next = e->next;
        fn(e);
        e = next;
      }
    }
  }
}

void Dict::clear(const std::function<void(Entry*)>& fn) {
  for (int t = 0; t < 2; ++t) {
    for (size_t i = 0; i < t_[t].size; ++i) {
      for (Entry* e = t_[t].b[i]; e;) {
        Entry* next = e->next;
        fn(e);
        e = next;
      }
    }
    std::free(t_[t].b);
    t_[t] = Table{};
  }
  rehash_idx_ = -1;
}

}  // namespace kvd::engine
