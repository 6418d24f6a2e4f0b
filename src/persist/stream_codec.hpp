#pragma once

#include <cstdint>

#include "kvd/engine/types/stream.hpp"
#include "kvd/engine/value.hpp"
#include "kvd/persist/rdb_format.hpp"
#include "kvd/persist/value_codec.hpp"

// Streams in the RDB encoding: entries in listpack nodes keyed by a master
// ID, then the stream's counters, then consumer groups with their pending
// entries and consumers. Part of value_codec; split out for its size.
namespace kvd::persist {

void encode_stream(const engine::StreamObject& s, rdb::Writer& w);
bool decode_stream(uint8_t type, rdb::Reader& r, const DecodeLimits& limits, engine::Value* out);

}  // namespace kvd::persist
