#pragma once

#include <cstddef>

#include "kvd/engine/dict.hpp"

namespace kvd::engine {

// Bytes a key holds: its entry, the value's heap blocks and its bucket slot.
// What MEMORY USAGE reports, and what eviction counts where the allocator's
// figure does not drop on free.
inline size_t key_memory_usage(const Entry* e) {
  return e->alloc_bytes() + e->value.heap_bytes() + sizeof(Entry*);
}

}  // namespace kvd::engine
