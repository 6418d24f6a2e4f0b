#include "kvd/engine/client_pause.hpp"

#include <algorithm>

#include "kvd/engine/engine.hpp"
#include "kvd/engine/transaction.hpp"

namespace kvd::engine {

void ClientPause::pause(int64_t end_ms, Mode mode) {
  if (!active_) {
    active_ = true;
    mode_ = mode;
    end_ms_ = end_ms;
    return;
  }
  if (mode == Mode::kAll) mode_ = Mode::kAll;
  end_ms_ = std::max(end_ms_, end_ms);
}

void ClientPause::forget(Client& c) {
  postponed_.erase(std::remove(postponed_.begin(), postponed_.end(), &c), postponed_.end());
}

bool Engine::postpone_if_paused(Client& c, const CommandSpec& spec, uint32_t flags, Args args) {
  // Commands EXEC and scripts run were admitted with them; replicas and the
  // master link are never paused (no replication yet).
  if (!pause_.active() || c.in_exec || c.script) return false;
  if (!pause_.all()) {
    bool may_change = flags & (kWrite | kMayReplicate);
    // EXEC waits when its queue holds a command that may change data.
    if ((spec.flags & kRunsQueue) && c.tx && c.tx->in_multi && c.tx->has_write) may_change = true;
    if (!may_change) return false;
  }
  c.postponed_argv.assign(args.begin(), args.end());
  c.blocked = true;
  pause_.postpone(c);
  return true;
}

void Engine::unpause_clients() {
  pause_.unpause();
  // Run now unless a command is running (CLIENT UNPAUSE itself): then after it.
  if (running_command_) {
    release_postponed_ = true;
  } else {
    release_postponed();
  }
}

void Engine::release_postponed() {
  release_postponed_ = false;
  for (Client* c : pause_.take_postponed()) {
    if (!c->blocked || c->postponed_argv.empty() || !c->writer) continue;
    c->blocked = false;
    std::vector<std::string> argv = std::move(c->postponed_argv);
    c->postponed_argv.clear();
    std::vector<std::string_view> views(argv.begin(), argv.end());
    c->writer->set_resp(c->resp);
    execute(*c, Args(views.data(), views.size()), *c->writer);
    if (c->conn) {
      c->conn->schedule_flush();
      if (!c->blocked) c->conn->resume();
    }
  }
}

}  // namespace kvd::engine
