#include "kvd/engine/types/str_table.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "kvd/engine/database.hpp"
#include "kvd/engine/dict.hpp"

namespace kvd::engine {
namespace {

// One process-wide seed: collection tables are never exposed to hash flooding
// from outside more than the key table is, and a fixed seed keeps clone cheap.
const uint64_t kSeed = 0x2d358dccaa6c78a5ull ^ reinterpret_cast<uintptr_t>(&kSeed);

constexpr size_t kMinBuckets = 4;

}  // namespace

StrTable::~StrTable() {
  for (size_t i = 0; i < buckets_; ++i) {
    StrNode* n = b_[i];
    while (n) {
      StrNode* next = n->next;
      std::free(n);
      n = next;
    }
  }
  std::free(b_);
}

StrTable::StrTable(const StrTable& o) {
  reserve(o.used_);
  o.for_each([this](const StrNode* n) { set(n->key(), n->value()); });
}

uint64_t StrTable::hash(std::string_view k) const {
  return hash_bytes(k, kSeed);
}

uint64_t StrTable::reverse(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
  return __builtin_bswap64(v);
}

StrNode* StrTable::make_node(std::string_view k, std::string_view v) {
  auto* n = static_cast<StrNode*>(std::malloc(sizeof(StrNode) + k.size() + v.size()));
  if (!n) throw std::bad_alloc();
  n->next = nullptr;
  n->klen = static_cast<uint32_t>(k.size());
  n->vlen = static_cast<uint32_t>(v.size());
  if (!k.empty()) std::memcpy(n->bytes(), k.data(), k.size());
  if (!v.empty()) std::memcpy(n->bytes() + k.size(), v.data(), v.size());
  return n;
}

StrNode** StrTable::slot_of(std::string_view key, size_t* depth) const {
  StrNode** link = &b_[hash(key) & (buckets_ - 1)];
  size_t d = 0;
  while (*link && (*link)->key() != key) {
    link = &(*link)->next;
    ++d;
  }
  if (depth) *depth = d;
  return link;
}

StrNode* StrTable::find(std::string_view key) const {
  if (!used_) return nullptr;
  return *slot_of(key);
}

bool StrTable::set(std::string_view key, std::string_view value) {
  grow_if_needed();
  size_t depth;
  StrNode** link = slot_of(key, &depth);
  StrNode* old = *link;
  if (old && old->vlen == value.size()) {
    if (!value.empty()) std::memcpy(old->bytes() + old->klen, value.data(), value.size());
    return false;
  }
  StrNode* n = make_node(key, value);
  if (old) {
    n->next = old->next;
    *link = n;
    std::free(old);
    return false;
  }
  *link = n;
  ++used_;
  note_depth(depth);
  return true;
}

bool StrTable::add(std::string_view key) {
  grow_if_needed();
  size_t depth;
  StrNode** link = slot_of(key, &depth);
  if (*link) return false;
  *link = make_node(key, {});
  ++used_;
  note_depth(depth);
  return true;
}

bool StrTable::erase(std::string_view key) {
  if (!used_) return false;
  StrNode** link = slot_of(key);
  StrNode* n = *link;
  if (!n) return false;
  *link = n->next;
  std::free(n);
  --used_;
  shrink_if_sparse();
  return true;
}

const StrNode* StrTable::random() const {
  if (!used_) return nullptr;
  // Every (bucket, position) pair is equally likely, so every member is: a
  // plain "random bucket, then random chain entry" favours short chains.
  while (true) {
    uint64_t r = fast_random();
    const StrNode* n = b_[r & (buckets_ - 1)];
    size_t pos = (r >> 32) % max_chain_;
    while (n && pos--) n = n->next;
    if (n) return n;
  }
}

void StrTable::reserve(size_t n) {
  size_t want = kMinBuckets;
  while (want < n) want <<= 1;
  if (want > buckets_) resize(want);
}

size_t StrTable::memory() const {
  size_t bytes = sizeof(*this) + buckets_ * sizeof(StrNode*);
  for_each([&](const StrNode* n) { bytes += sizeof(StrNode) + n->klen + n->vlen; });
  return bytes;
}

void StrTable::grow_if_needed() {
  if (!buckets_)
    resize(kMinBuckets);
  else if (used_ >= buckets_)
    resize(buckets_ * 2);
}

void StrTable::shrink_if_sparse() {
  if (buckets_ > kMinBuckets && used_ * 8 < buckets_) {
    size_t want = kMinBuckets;
    while (want < used_) want <<= 1;
    resize(want);
  }
}

void StrTable::resize(size_t buckets) {
  auto** nb = static_cast<StrNode**>(std::calloc(buckets, sizeof(StrNode*)));
  if (!nb) throw std::bad_alloc();
  for (size_t i = 0; i < buckets_; ++i) {
    StrNode* n = b_[i];
    while (n) {
      StrNode* next = n->next;
      StrNode** dst = &nb[hash(n->key()) & (buckets - 1)];
      n->next = *dst;
      *dst = n;
      n = next;
    }
  }
  std::free(b_);
  b_ = nb;
  buckets_ = buckets;
  max_chain_ = 0;
  for (size_t i = 0; i < buckets_; ++i) {
    size_t len = 0;
    for (StrNode* n = b_[i]; n; n = n->next) ++len;
    if (len > max_chain_) max_chain_ = len;
  }
}

}  // namespace kvd::engine
