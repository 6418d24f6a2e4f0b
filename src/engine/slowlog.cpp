// Adds a command to the slow log (engine/slowlog.hpp holds the entries; the
// SLOWLOG command is in src/commands/slowlog_commands.cpp).
#include "kvd/engine/slowlog.hpp"

#include "kvd/engine/engine.hpp"

namespace kvd::engine {

void Engine::log_slow_command(const Client& c, const CommandSpec* spec, Args args, int64_t end_us,
                              int64_t duration_us) {
  const int64_t max_len = config_.v().slowlog_max_len;
  std::string peer = c.conn ? c.conn->peer_address() : std::string();
  slowlog_.push(args, spec ? spec->secret_args : nullptr, end_us / 1'000'000, duration_us,
                std::move(peer), c.name, static_cast<size_t>(max_len < 0 ? 0 : max_len));
}

}  // namespace kvd::engine
