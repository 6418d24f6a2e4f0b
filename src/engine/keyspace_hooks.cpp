// Default bodies of the keyspace change hooks. Each feature (WATCH, keyspace
// notifications, blocking operations) replaces its hook with the real one in
// its own file and removes the default from here.
#include "kvd/engine/engine.hpp"

namespace kvd::engine {

void Engine::signal_key_ready(int, std::string_view) {}
void Engine::after_command(Client&) {}
void Engine::forget_client(Client& c) {
  forget_watch(c);
  forget_pubsub(c);
}
int64_t Engine::next_block_deadline() const {
  return -1;
}
void Engine::expire_blocked_clients(int64_t) {}

}  // namespace kvd::engine
