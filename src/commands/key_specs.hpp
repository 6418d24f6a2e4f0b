#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kvd/engine/command.hpp"

// Key specifications: for each command that takes keys, where its keys are
// and what it does to each (Redis 7's key-spec flags). COMMAND INFO shows
// them and COMMAND GETKEYSANDFLAGS applies them to a command line. The data
// lives in key_specs.txt (one line per command, embedded by the build).
namespace kvd::commands {

// Flag bits, in the order Redis lists them.
enum KeyFlag : uint32_t {
  kKeyRO = 1u << 0,
  kKeyRW = 1u << 1,
  kKeyOW = 1u << 2,
  kKeyRM = 1u << 3,
  kKeyAccess = 1u << 4,
  kKeyUpdate = 1u << 5,
  kKeyInsert = 1u << 6,
  kKeyDelete = 1u << 7,
  kKeyNotKey = 1u << 8,
  kKeyIncomplete = 1u << 9,
  kKeyVariableFlags = 1u << 10,
};
// "RW", "access", ... for the bits set, as Redis names them.
std::vector<std::string_view> key_flag_names(uint32_t flags);

struct KeySpec {
  uint32_t flags = 0;
  enum class Begin { kIndex, kKeyword, kUnknown } begin = Begin::kUnknown;
  int pos = 0;               // kIndex
  std::string_view keyword;  // kKeyword: search for it from `startfrom`
  int startfrom = 0;         // (negative: from the end, backwards)
  enum class Find { kRange, kKeynum, kUnknown } find = Find::kUnknown;
  int lastkey = 0, step = 1, limit = 0;          // kRange
  int keynumidx = 0, firstkey = 0, keystep = 1;  // kKeynum
  std::string_view notes;                        // COMMAND INFO shows them when present
};

// COMMAND INFO's first key, last key and step (the pre-7.0 triple), worked
// out from the specs as Redis does: the consecutive index/range specs of
// step 1 merged; {0, 0, 0} when there are none.
struct LegacyKeyRange {
  int first = 0, last = 0, step = 0;
};
LegacyKeyRange legacy_key_range(const std::vector<KeySpec>& specs);

// The specs of a command or subcommand by full name ("set", "object|freq");
// nullptr when it takes no keys.
const std::vector<KeySpec>* find_key_specs(std::string_view fullname);

// COMMAND GETKEYSANDFLAGS: each key of the command line (positions as
// CommandTable::key_positions finds them) with the flags of the spec that
// covers it; commands whose flags depend on their options (SET ... GET,
// BITFIELD's subcommands, SORT ... STORE) get them as Redis works them out.
std::vector<std::pair<int, uint32_t>> keys_and_flags(const engine::CommandSpec& spec,
                                                     engine::Args args,
                                                     const std::vector<int>& positions);

// The embedded file, as the build wrote it.
extern const char* const kKeySpecsText;

}  // namespace kvd::commands
