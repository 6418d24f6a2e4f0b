#pragma once

#include <cstddef>

#include "kvd/engine/config.hpp"
#include "kvd/engine/types/hash.hpp"
#include "kvd/engine/types/set.hpp"
#include "kvd/engine/types/stream.hpp"
#include "kvd/engine/types/zset.hpp"

// The encoding thresholds of each collection type as the config sets them
// now (the *-max-listpack-* / *-max-intset-* / stream-node-max-* names):
// what the command families and RESTORE hand to the types.
namespace kvd::engine {

inline HashLimits hash_limits(const ConfigValues& v) {
  return {static_cast<size_t>(v.hash_max_listpack_entries),
          static_cast<size_t>(v.hash_max_listpack_value)};
}

inline SetLimits set_limits(const ConfigValues& v) {
  return {static_cast<size_t>(v.set_max_intset_entries)};
}

inline ZSet::Limits zset_limits(const ConfigValues& v) {
  return {static_cast<size_t>(v.zset_max_listpack_entries),
          static_cast<size_t>(v.zset_max_listpack_value)};
}

inline StreamObject::NodeLimits stream_node_limits(const ConfigValues& v) {
  return {v.stream_node_max_bytes, v.stream_node_max_entries};
}

}  // namespace kvd::engine
