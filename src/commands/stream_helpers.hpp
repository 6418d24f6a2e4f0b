#pragma once

#include <cstdint>
#include <string_view>

#include "declare.hpp"
#include "kvd/engine/command.hpp"
#include "kvd/engine/database.hpp"
#include "kvd/engine/types/stream.hpp"

// Helpers shared by the stream command families (streams.cpp, stream_groups.cpp).
// Internal to src/commands.
namespace kvd::commands {

inline StreamObject* as_stream(Entry* e) {
  return static_cast<StreamObject*>(e->value.object());
}

// A stream ID argument; replies "Invalid stream ID ..." on failure. `strict`
// refuses "-" and "+"; a non-null seq_given accepts "<ms>-*".
bool arg_stream_id(CommandContext& ctx, std::string_view s, StreamID* id, uint64_t missing_seq,
                   bool strict, bool* seq_given = nullptr);
// A range bound that may be exclusive ("(" prefix): the bound is moved past
// the excluded ID, with Redis's "invalid start/end ID for the interval" errors.
bool arg_range_start(CommandContext& ctx, std::string_view s, StreamID* id);
bool arg_range_end(CommandContext& ctx, std::string_view s, StreamID* id);

void reply_stream_id(CommandContext& ctx, StreamID id);
// [id, [field, value, ...]]
void reply_stream_entry(CommandContext& ctx, const StreamEntry& e);

StreamObject::NodeLimits stream_node_limits(CommandContext& ctx);

}  // namespace kvd::commands
