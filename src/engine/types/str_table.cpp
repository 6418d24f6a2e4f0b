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

}  // namespace

StrTable::~StrTable() {
  index_.for_each([](StrNode* n) { std::free(n); });
}

StrTable::StrTable(const StrTable& o) {
  reserve(o.size());
  o.for_each([this](const StrNode* n) { set(n->key(), n->value()); });
}

uint64_t StrTable::Traits::hash(std::string_view k) {
  return hash_bytes(k, kSeed);
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

bool StrTable::set(std::string_view key, std::string_view value) {
  const uint64_t h = Traits::hash(key);
  StrNode* old = index_.find(key, h);
  if (old && old->vlen == value.size()) {
    if (!value.empty()) std::memcpy(old->bytes() + old->klen, value.data(), value.size());
    return false;
  }
  StrNode* n = make_node(key, value);
  if (old) std::free(index_.unlink(key));
  index_.insert(n, h);
  return !old;
}

bool StrTable::add(std::string_view key) {
  const uint64_t h = Traits::hash(key);
  if (index_.find(key, h)) return false;
  index_.insert(make_node(key, {}), h);
  return true;
}

bool StrTable::erase(std::string_view key) {
  StrNode* n = index_.unlink(key);
  std::free(n);
  return n != nullptr;
}

const StrNode* StrTable::random() const {
  return index_.random(fast_random);
}

size_t StrTable::memory() const {
  size_t bytes = sizeof(*this) + index_.bucket_bytes();
  for_each([&](const StrNode* n) { bytes += sizeof(StrNode) + n->klen + n->vlen; });
  return bytes;
}

}  // namespace kvd::engine
