// Default bodies of the keyspace change hooks. Each feature (WATCH, keyspace
// notifications, blocking operations) replaces its hook with the real one in
// its own file and removes the default from here.
#include "kvd/engine/engine.hpp"

namespace kvd::engine {

void Engine::signal_modified_key(int, std::string_view) {}
void Engine::notify_keyspace_event(char, std::string_view, std::string_view, int) {}
// signal_key_ready, after_command, forget_client, next_block_deadline and
// expire_blocked_clients live in blocking.cpp.

}  // namespace kvd::engine
