#pragma once

#include <cstdint>
#include <string>

#include "kvd/engine/config.hpp"
#include "kvd/engine/types/hash.hpp"
#include "kvd/engine/types/set.hpp"
#include "kvd/engine/types/stream.hpp"
#include "kvd/engine/types/zset.hpp"
#include "kvd/engine/value.hpp"
#include "kvd/persist/rdb_format.hpp"

// Values to and from the RDB encoding (type byte + body), the part of a DUMP
// payload or snapshot that describes one key's value.
namespace kvd::persist {

// The encodings in force where values are restored (config at that time):
// a restored value gets the encoding kvd would have given it, whatever
// encoding the payload used.
struct DecodeLimits {
  int64_t list_fill = -2;
  engine::HashLimits hash;
  engine::SetLimits set;
  engine::ZSet::Limits zset;
  engine::StreamObject::NodeLimits stream;
};

// The limits the current config sets (DUMP/RESTORE and snapshots alike).
DecodeLimits decode_limits(const engine::ConfigValues& v);

// Writes the value's type byte and body. Small collections are written in
// the compact blobs Redis 7.0 writes (listpack, intset), big ones element by
// element, so Redis can RESTORE what kvd DUMPs.
void encode_value(const engine::Value& v, rdb::Writer& w);

// Reads the body of a value of RDB type `type` into *out. False on any
// malformed, truncated or unsupported input (nothing is kept then), and for
// empty collections, which Redis refuses too.
bool decode_value(uint8_t type, rdb::Reader& r, const DecodeLimits& limits, engine::Value* out);

}  // namespace kvd::persist
