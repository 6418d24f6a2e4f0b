// Blocking commands: the waiter registry, serving waiters when keys become
// ready, timeouts, CLIENT UNBLOCK and disconnects. See engine/blocking.hpp.
#include "kvd/engine/blocking.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <string>

#include "kvd/engine/client.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/tracking.hpp"

namespace kvd::engine {

BlockingRegistry& Engine::blocking() {
  if (!blocking_) blocking_ = std::make_shared<BlockingRegistry>();
  return *blocking_;
}

namespace {

// Parses like Redis's string2ld: the whole string, no leading space, no NaN.
bool parse_long_double(std::string_view s, long double* out) {
  if (s.empty() || s.size() >= 5 * 1024 || std::isspace(static_cast<unsigned char>(s[0])))
    return false;
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  long double v = std::strtold(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size()) return false;
  if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0)) return false;
  if (std::isnan(v)) return false;
  *out = v;
  return true;
}

// Takes the client out of every wait queue and the deadline index.
void detach_waiter(BlockingRegistry& r, Client& c) {
  BlockState& st = *c.block;
  for (const std::string& k : st.keys) {
    auto it = r.waiters.find({st.db, k});
    if (it == r.waiters.end()) continue;
    auto& q = it->second;
    q.erase(std::remove(q.begin(), q.end(), &c), q.end());
    if (q.empty()) r.waiters.erase(it);
  }
  if (st.deadline_ms > 0) r.deadlines.erase({st.deadline_ms, c.id});
  r.blocked.erase(c.id);
  c.blocked = false;
  c.block.reset();
}

// The client's reply was written out of band: send it and run its next commands.
void wake(Client& c) {
  if (!c.conn) return;
  c.conn->schedule_flush();
  c.conn->resume();
}

// Ends a wait without serving it: a null array (timeout) or an UNBLOCKED error.
void end_wait(BlockingRegistry& r, Client& c, bool error,
              const char* message = "UNBLOCKED client unblocked via CLIENT UNBLOCK") {
  detach_waiter(r, c);
  if (c.writer) {
    if (error)
      c.writer->error(message);
    else
      c.writer->null_array();
  }
  wake(c);
}

// Re-runs a waiter's command now that `key` is ready; true if it was served.
bool retry(Engine& e, Client& c, const std::string& key) {
  std::shared_ptr<BlockState> st = c.block;  // keeps argv alive during the handler
  const CommandSpec* spec = e.commands().find(st->argv[0]);
  if (!spec || !c.writer) return false;
  std::vector<std::string_view> argv(st->argv.begin(), st->argv.end());
  st->retrying = true;
  st->still_blocked = false;
  st->ready_key = key;
  CommandContext ctx{
      e, c, Args(argv.data(), argv.size()), *c.writer, e.db(st->db), e.clock().now_ms()};
  uint64_t errors_before = c.writer->errors();
  const int64_t t0 = e.clock().now_us();
  Propagation& prop = e.propagation();
  const bool propagating = prop.active();
  if (propagating) prop.open_frame();
  spec->handler(ctx);
  const bool self_effect = propagating && prop.close_frame();
  const int64_t t1 = e.clock().now_us();
  st->exec_us += t1 > t0 ? t1 - t0 : 0;
  st->retrying = false;
  st->ready_key.clear();
  if (st->still_blocked) return false;
  if (e.slow_enough(*spec, st->exec_us)) {
    // Blocking commands take no secrets.
    e.log_slow_command(c, nullptr, Args(argv.data(), argv.size()), t1, st->exec_us);
  }
  // The call ends now: its latency is the time it ran, not the time it
  // waited. Serving a waiter is also a latency monitor event of its own.
  e.track_latency(*spec, st->exec_us);
  e.note_latency("command-unblocking", (t1 - t0) / 1000);
  // An unblocked client's error reply (XREADGROUP's -NOGROUP) counts in
  // errorstats as Redis's updateStatsOnUnblock does.
  if (c.writer->errors() != errors_before) {
    ++spec->stats.failed_calls;
    e.count_error(c.writer->last_error_code());
  } else if (spec->flags & kWrite) {
    ++e.stats().dirty;
    // Handlers propagate the non-blocking command that ran; this is only a
    // fallback for one that does not.
    if (self_effect) prop.emit(st->db, std::vector<std::string>(st->argv.begin(), st->argv.end()));
  }
  if (propagating && prop.depth() == 0) prop.end_unit();
  detach_waiter(e.blocking(), c);
  wake(c);
  return true;
}

// Serves the waiters of one ready key in FIFO order while the key exists.
void serve_key(Engine& e, const BlockingRegistry::KeyId& id) {
  BlockingRegistry& r = e.blocking();
  auto it = r.waiters.find(id);
  if (it == r.waiters.end()) return;
  // Snapshot: serving removes clients from the queue.
  std::vector<Client*> queue(it->second.begin(), it->second.end());
  // Even a deleted key is served: XREADGROUP waiters must then fail (Redis's
  // unblockDeletedStreamReadgroupClients); the others simply stay blocked.
  for (Client* w : queue) {
    if (!r.blocked.count(w->id) || !w->block) continue;
    retry(e, *w, id.second);
  }
}

}  // namespace

bool arg_block_timeout(CommandContext& ctx, std::string_view s, int64_t* deadline_ms) {
  long double secs;
  if (!parse_long_double(s, &secs)) {
    ctx.out.error("ERR timeout is not a float or out of range");
    return false;
  }
  long double ms = std::ceil(secs * 1000.0L);
  // Redis converts to a long long first: anything past its range (inf, 1e400)
  // wraps to a negative value and is reported as negative.
  if (ms < 0 || !(ms < 9223372036854775807.0L)) {
    ctx.out.error("ERR timeout is negative");
    return false;
  }
  if (ms >= static_cast<long double>(LLONG_MAX - ctx.now_ms)) {
    ctx.out.error("ERR timeout is out of range");
    return false;
  }
  auto t = static_cast<int64_t>(ms);
  *deadline_ms = t > 0 ? ctx.now_ms + t : 0;
  return true;
}

void block_on_keys(CommandContext& ctx, std::span<const std::string_view> keys,
                   int64_t deadline_ms) {
  Client& c = ctx.client;
  if (c.block && c.block->retrying) {
    c.block->still_blocked = true;
    return;
  }
  if (c.in_exec) {
    ctx.out.null_array();
    return;
  }
  BlockingRegistry& r = ctx.engine.blocking();
  auto st = std::make_shared<BlockState>();
  st->db = c.db_index;
  st->deadline_ms = deadline_ms;
  st->argv.assign(ctx.args.begin(), ctx.args.end());
  for (std::string_view k : keys) {
    if (std::find(st->keys.begin(), st->keys.end(), k) != st->keys.end()) continue;
    st->keys.emplace_back(k);
    r.waiters[{st->db, std::string(k)}].push_back(&c);
  }
  if (deadline_ms > 0) r.deadlines.insert({deadline_ms, c.id});
  r.blocked[c.id] = &c;
  c.block = std::move(st);
  c.blocked = true;
}

bool is_block_retry(const CommandContext& ctx) {
  return ctx.client.block && ctx.client.block->retrying;
}

std::string_view ready_key(const CommandContext& ctx) {
  return is_block_retry(ctx) ? std::string_view(ctx.client.block->ready_key) : std::string_view();
}

bool may_serve_key(const CommandContext& ctx, std::string_view key) {
  return !is_block_retry(ctx) || ctx.client.block->ready_key == key;
}

void signal_ready_keys_in_db(Engine& e, int db) {
  std::vector<std::string> ready;
  // Missing keys too: a waiting XREADGROUP learns its stream is gone.
  for (const auto& [id, queue] : e.blocking().waiters)
    if (id.first == db) ready.push_back(id.second);
  for (const std::string& k : ready) e.signal_key_ready(db, k);
}

size_t blocked_client_count(Engine& e) {
  // Clients held by CLIENT PAUSE count too, as Redis's BLOCKED_POSTPONE.
  return e.blocking().blocked.size() + e.client_pause().postponed_count();
}

namespace {

// Ends a blocked client's command early. It ends here, as when served: its
// latency counts. Redis 7.0 counts it as a failed call either way (TIMEOUT
// too); with an error the reply also counts in errorstats (UNBLOCKED).
void end_blocked_command(Engine& e, Client& c, bool error, const char* message) {
  const CommandSpec* spec = e.commands().find(c.block->argv[0]);
  if (spec) {
    e.track_latency(*spec, c.block->exec_us);
    ++spec->stats.failed_calls;
  }
  end_wait(e.blocking(), c, error, message);
  if (error && c.writer) e.count_error(c.writer->last_error_code());
}

}  // namespace

bool unblock_client(Engine& e, Client& c, bool error) {
  if (!c.blocked || !c.block) return false;
  end_blocked_command(e, c, error, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
  return true;
}

size_t unblock_all_for_role_change(Engine& e) {
  std::vector<Client*> clients;
  for (const auto& [id, c] : e.blocking().blocked) clients.push_back(c);
  for (Client* c : clients)
    end_blocked_command(e, *c, true,
                        "UNBLOCKED force unblock from blocking operation, instance state changed "
                        "(master -> replica?)");
  return clients.size();
}

// --- Engine hooks -----------------------------------------------------------

void Engine::signal_key_ready(int db, std::string_view key) {
  if (!blocking_ || blocking_->waiters.empty()) return;
  BlockingRegistry::KeyId id{db, std::string(key)};
  if (!blocking_->waiters.count(id)) return;
  if (blocking_->ready_set.insert(id).second) blocking_->ready.push_back(std::move(id));
}

void Engine::after_command(Client& c) {
  // Inside EXEC the queued commands run as one: waiters are served after it.
  // Nor while a slow script is still running and other clients' commands
  // are let in (BUSY): the script's writes are not done yet, and a waiter
  // served now would see half of them (Redis's "Timedout scripts and
  // unblocked command"). The script's own end serves them.
  if (c.in_exec || !blocking_ || script_timed_out()) return;
  BlockingRegistry& r = *blocking_;
  // Serving a waiter may make more keys ready (BLMOVE pushes): loop until quiet.
  while (!r.ready.empty()) {
    std::vector<BlockingRegistry::KeyId> ready;
    ready.swap(r.ready);
    r.ready_set.clear();
    for (const auto& id : ready) serve_key(*this, id);
  }
}

namespace {
void forget_blocking(Engine& e, Client& c) {
  if (c.block) detach_waiter(e.blocking(), c);
  c.blocked = false;
}
}  // namespace

void Engine::forget_client(Client& c) {
  // Each per-client feature drops its own state.
  forget_blocking(*this, c);
  pause_.forget(c);
  forget_watch(c);
  forget_pubsub(c);
  forget_monitor(c);
  tracking_->disable(c);
}

int64_t Engine::next_block_deadline() const {
  int64_t next = -1;
  if (blocking_ && !blocking_->deadlines.empty()) next = blocking_->deadlines.begin()->first;
  // The end of a pause that holds clients back is a deadline of theirs.
  // A FAILOVER's pause has no deadline (INT64_MAX): no timer for it.
  if (pause_.active() && pause_.postponed_count() > 0 && pause_.end_ms() != INT64_MAX &&
      (next < 0 || pause_.end_ms() < next)) {
    next = pause_.end_ms();
  }
  return next;
}

void Engine::expire_blocked_clients(int64_t now_ms) {
  expire_pause(now_ms);
  if (!blocking_) return;
  BlockingRegistry& r = *blocking_;
  while (!r.deadlines.empty() && r.deadlines.begin()->first <= now_ms) {
    uint64_t id = r.deadlines.begin()->second;
    auto it = r.blocked.find(id);
    if (it == r.blocked.end()) {
      r.deadlines.erase(r.deadlines.begin());
      continue;
    }
    end_wait(r, *it->second, false);
  }
}

}  // namespace kvd::engine
