#include "kvd/engine/client_pause.hpp"

#include <algorithm>
#include <climits>

#include "kvd/engine/engine.hpp"
#include "kvd/engine/transaction.hpp"

namespace kvd::engine {

void ClientPause::pause(int64_t end_ms, Mode mode, Purpose p) {
  Slot& s = slot(p);
  if (!s.on) {
    s = {true, mode, end_ms};
  } else {
    if (mode == Mode::kAll) s.mode = Mode::kAll;
    s.end_ms = std::max(s.end_ms, end_ms);
  }
  refresh();
}

void ClientPause::unpause(Purpose p) {
  slot(p).on = false;
  refresh();
}

bool ClientPause::expire(int64_t now_ms) {
  bool ended = false;
  for (Slot& s : slots_) {
    if (s.on && now_ms >= s.end_ms) {
      s.on = false;
      ended = true;
    }
  }
  refresh();
  return ended;
}

bool ClientPause::all() const {
  for (const Slot& s : slots_)
    if (s.on && s.mode == Mode::kAll) return true;
  return false;
}

int64_t ClientPause::end_ms() const {
  int64_t end = INT64_MAX;
  for (const Slot& s : slots_)
    if (s.on) end = std::min(end, s.end_ms);
  return end;
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

void Engine::unpause_clients(ClientPause::Purpose p) {
  pause_.unpause(p);
  release_postponed_soon();
}

void Engine::expire_pause(int64_t now_ms) {
  if (pause_.active() && pause_.expire(now_ms)) release_postponed_soon();
}

void Engine::release_postponed_soon() {
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
