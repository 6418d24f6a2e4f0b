#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "declare.hpp"
#include "kvd/engine/database.hpp"

// DEBUG DIGEST and DIGEST-VALUE: a SHA-1 based digest of the dataset, or of
// one value, computed the way redis-server 7.0 computes it, so that the same
// data gives the same 40 hex digits in kvd and in Redis (tests compare a
// server's digest before and after a reload, or a master's and a replica's).
// Orderless collections (the keyspace, sets, hashes, sorted sets) are the xor
// of their members' digests; ordered ones (lists, streams) chain each element
// into the running digest.
namespace kvd::commands {

using Digest = std::array<uint8_t, 20>;

// The digest of one key's value (type, contents, and whether it has a TTL),
// mixed into `digest`.
void mix_value_digest(Digest& digest, const Database& db, const Entry& e);

// The digest of every database; all zeros for an empty dataset.
Digest dataset_digest(Engine& engine);

// 40 lower-case hex digits.
std::string digest_hex(const Digest& d);

}  // namespace kvd::commands
