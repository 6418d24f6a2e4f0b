#pragma once

#include <cstddef>
#include <string_view>

namespace kvd::protocol {

// Looks ahead in a query buffer for the keys of pipelined commands, so their
// memory can be prefetched before the commands run (see Engine::prefetch_keys).
//
// Reads whole RESP multibulk commands from the front of buf and stores the
// second argument of each (the key of most commands) in keys, up to max. Stops
// at the first incomplete or non-multibulk command, or at anything malformed:
// the real parser reports errors; this only reads what is plainly there.
// Returns the number of keys stored.
size_t peek_keys(const char* buf, size_t len, std::string_view* keys, size_t max);

}  // namespace kvd::protocol
