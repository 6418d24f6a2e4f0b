#pragma once

#include <cstdint>
#include <string_view>

#include "declare.hpp"
#include "kvd/engine/command.hpp"

// Helpers shared by the collection families (hashes, sets): HSCAN/SSCAN
// arguments and the count argument of HRANDFIELD/SRANDMEMBER/SPOP.
// Internal to src/commands.
namespace kvd::commands {

struct CollectionScanArgs {
  uint64_t cursor = 0;
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;
  std::string_view type;  // SCAN ... TYPE (keyspace SCAN only)
  bool use_type = false;
};

// The cursor of a *SCAN command, parsed as Redis's strtoul does; replies
// "ERR invalid cursor" and returns false on failure.
bool parse_scan_cursor(CommandContext& ctx, std::string_view s, uint64_t* out);
// MATCH/COUNT (and TYPE when allow_type) options from args[first] on, for SCAN,
// HSCAN, SSCAN and ZSCAN; replies the error and returns false.
bool parse_scan_options(CommandContext& ctx, size_t first, CollectionScanArgs* a,
                        bool allow_type = false);
// Whether a member passes the MATCH filter.
bool scan_match(const CollectionScanArgs& a, std::string_view member);

// An integer argument within [lo, hi], as Redis's getRangeLongFromObjectOrReply:
// "value is not an integer or out of range" / "value is out of range, value
// must between lo and hi", or `msg` for both when given.
bool arg_range(CommandContext& ctx, std::string_view s, int64_t lo, int64_t hi, int64_t* out,
               const char* msg = nullptr);

}  // namespace kvd::commands
