#pragma once

#include <string_view>

#include "kvd/engine/command.hpp"
#include "kvd/engine/database.hpp"
#include "kvd/engine/engine.hpp"

namespace kvd::engine {

// What every write command does after changing `key` in the client's selected
// database: WATCH invalidation plus a keyspace notification (Redis's
// signalModifiedKey + notifyKeyspaceEvent pair).
inline void key_changed(CommandContext& ctx, char type, std::string_view event,
                        std::string_view key) {
  ctx.engine.signal_modified_key(ctx.db.id(), key);
  ctx.engine.notify_keyspace_event(type, event, key, ctx.db.id());
}

// The same for a key in another database (MOVE, COPY ... DB).
inline void key_changed_in(Engine& engine, Database& db, char type, std::string_view event,
                           std::string_view key) {
  engine.signal_modified_key(db.id(), key);
  engine.notify_keyspace_event(type, event, key, db.id());
}

}  // namespace kvd::engine
