#pragma once

#include <cstddef>
#include <string_view>

namespace kvd::protocol {

// What prefetching needs of one pipelined command: its key (the second
// argument of most commands) and the two arguments after it, where the
// collection commands put a member, field or score. Empty when absent.
struct PeekedCommand {
  std::string_view key;
  std::string_view arg2;
  std::string_view arg3;
};

// Looks ahead in a query buffer for the keys (and members) of pipelined
// commands, so their memory can be prefetched before the commands run (see
// Engine::prefetch).
//
// Reads whole RESP multibulk commands from the front of buf and stores up to
// max of them in out (commands without a key are skipped). Stops at the first
// incomplete or non-multibulk command, or at anything malformed: the real
// parser reports errors; this only reads what is plainly there. Returns the
// number stored.
size_t peek_commands(const char* buf, size_t len, PeekedCommand* out, size_t max);

}  // namespace kvd::protocol
