#include "kvd/engine/engine.hpp"

#include "kvd/engine/acl.hpp"
#include "kvd/engine/functions.hpp"
#include "kvd/engine/scripting.hpp"

#include <chrono>
#include <random>

#include <spdlog/spdlog.h>

#include "kvd/common/strings.hpp"
#include "kvd/engine/blocking.hpp"
#include "kvd/engine/errors.hpp"
#include "kvd/engine/memory.hpp"
#include "kvd/engine/pubsub.hpp"
#include "kvd/engine/tracking.hpp"
#include "kvd/engine/transaction.hpp"

namespace kvd::engine {
namespace {

int64_t steady_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

// 40 random hex digits (Redis's run_id / replication id format).
std::string random_hex_id() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd() ^
                      static_cast<uint64_t>(steady_us()));
  static const char kHex[] = "0123456789abcdef";
  std::string id(40, '0');
  for (auto& ch : id) ch = kHex[gen() & 15];
  return id;
}

bool arity_ok(int arity, size_t argc) {
  return arity > 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

Engine::Engine(Clock& clock, Config& config, CommandTable commands)
    : clock_(clock),
      config_(config),
      commands_(std::move(commands)),
      pubsub_(std::make_unique<PubSub>()),
      tracking_(std::make_unique<Tracking>(*this)),
      watches_(std::make_unique<WatchRegistry>()) {
  for (const auto& [from, to] : config_.command_renames) commands_.rename(from, to);
  configure_acl();
  int n = static_cast<int>(config_.v().databases);
  for (int i = 0; i < n; ++i) {
    dbs_.push_back(make_db(i));
    dbs_.back()->set_listeners(
        [this](int db, std::string_view key) { on_key_expired(db, key); },
        [this](int db, std::string_view key) { notify_keyspace_event('n', "new", key, db); });
  }
  watches_->by_db.resize(dbs_.size());
  apply_access_config();
  for (const char* name : {"maxmemory-policy", "lfu-log-factor", "lfu-decay-time"}) {
    config_.on_change(name, [this] { apply_access_config(); });
  }
  // A lower limit takes effect soon, as in Redis: right after the command
  // that set it (after EXEC, inside a transaction), once every parameter of
  // the CONFIG SET is in place.
  config_.on_change("maxmemory", [this] {
    gauge_->refresh();
    eviction_pending_ = true;
    client_eviction_.enforce();  // maxmemory-clients may be a share of it
  });
  client_eviction_.configure(config_.get("maxmemory-clients").value_or("0"));
  // A lower limit disconnects clients right away, as in Redis.
  config_.on_change("maxmemory-clients", [this] {
    client_eviction_.configure(config_.get("maxmemory-clients").value_or("0"));
    client_eviction_.enforce();
  });
  start_ms_ = clock_.now_ms();
  snapshot_state_.last_save_s = start_ms_ / 1000;
  run_id_ = random_hex_id();
}

void RateSampler::sample(int64_t now_us, uint64_t total) {
  if (last_us_ >= 0 && now_us > last_us_) {
    double secs = static_cast<double>(now_us - last_us_) / 1e6;
    samples_[next_] = static_cast<double>(total - last_total_) / secs;
    next_ = (next_ + 1) % kSamples;
    if (count_ < kSamples) ++count_;
  }
  last_us_ = now_us;
  last_total_ = total;
}

double RateSampler::per_second() const {
  if (count_ == 0) return 0;
  double sum = 0;
  for (int i = 0; i < count_; ++i) sum += samples_[i];
  return sum / count_;
}

int64_t Engine::instantaneous_ops_per_sec() const {
  return static_cast<int64_t>(ops_rate_.per_second());
}
double Engine::instantaneous_input_kbps() const {
  return input_rate_.per_second() / 1024;
}
double Engine::instantaneous_output_kbps() const {
  return output_rate_.per_second() / 1024;
}

void Engine::sample_rates() {
  // Redis samples every 100ms; a faster cron must not shrink the window.
  static constexpr int64_t kPeriodUs = 100'000;
  int64_t now = clock_.monotonic_us();
  if (now - last_sample_us_ < kPeriodUs) return;
  last_sample_us_ = now;
  ops_rate_.sample(now, stats_.total_commands);
  input_rate_.sample(now, stats_.net_input_bytes);
  output_rate_.sample(now, stats_.net_output_bytes);
}

Engine::~Engine() = default;

std::unique_ptr<Database> Engine::make_db(int index) {
  auto db = std::make_unique<Database>(index);
  db->set_lazy_freer(&freer_);
  db->set_clock(&clock_);
  db->set_access_tracking(&access_);
  db->set_expiry_pause(pause_.active_flag());
  db->set_loading_flag(&loading_);
  db->set_replica_flags(&repl_.role_replica, &repl_.applying_master, &repl_.read_only);
  return db;
}

std::vector<std::unique_ptr<Database>> Engine::make_spare_dbs() {
  std::vector<std::unique_ptr<Database>> spare;
  for (int i = 0; i < db_count(); ++i) spare.push_back(make_db(i));
  return spare;
}

void Engine::swap_in_dbs(std::vector<std::unique_ptr<Database>>& spare) {
  for (int i = 0; i < db_count() && i < static_cast<int>(spare.size()); ++i) {
    touch_watched_keys_against(i, spare[i].get());
    dbs_[i]->swap(*spare[i]);
  }
}

void Engine::change_replication_id() {
  repl_.change_replid();
  repl_.clear_replid2();
}

bool Engine::script_timed_out() const {
  return (scripts_ && scripts_->timed_out()) || (functions_ && functions_->runtime().timed_out());
}

const char* const kBgsaveError =
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to "
    "disk. Commands that may modify the data set are disabled, because this instance is "
    "configured to report errors during writes if RDB snapshotting fails "
    "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB "
    "error.";

bool Engine::reject_busy(Client& c, const CommandSpec& spec, protocol::ReplyWriter& out) {
  if (c.script || (spec.flags & kAllowBusy)) return false;
  const ScriptRuntime* rt = running_script();
  if (!rt || !rt->timed_out()) return false;
  const std::string busy = busy_error(rt->kind());
  if ((spec.flags & kRunsQueue) && c.tx && c.tx->in_multi) {
    reject(c, out, &spec, "EXECABORT Transaction discarded because of: " + busy);
    forget_watch(c);
  } else {
    reject(c, out, &spec, busy);
  }
  return true;
}

ScriptRuntime& Engine::scripts() {
  if (!scripts_) scripts_ = std::make_unique<ScriptRuntime>(*this);
  return *scripts_;
}

FunctionStore& Engine::functions() {
  if (!functions_) functions_ = std::make_unique<FunctionStore>(*this);
  return *functions_;
}

ScriptRuntime* Engine::running_script() {
  if (scripts_ && scripts_->running()) return scripts_.get();
  if (functions_ && functions_->runtime().running()) return &functions_->runtime();
  return nullptr;
}

bool Engine::auth_required(const Client& c) const {
  return !c.authenticated && acl_->default_needs_auth();
}

// A client starts as the default user, unauthenticated when that user needs
// a password.
void Engine::add_client(Client* c) {
  if (!c->user && !c->master_link) {
    c->user = &acl_->default_user();
    c->authenticated = !acl_->default_needs_auth();
  }
  if (c->created_ms == 0) c->created_ms = clock_.now_ms();
  if (c->last_interaction_ms == 0) c->last_interaction_ms = c->created_ms;
  clients_[c->id] = c;
}
void Engine::remove_client(Client* c) {
  forget_client(*c);
  client_eviction_.forget(*c);
  clients_.erase(c->id);
}

uint64_t Engine::expired_keys() const {
  uint64_t n = 0;
  for (const auto& d : dbs_) n += d->expired_keys();
  return n - expired_offset_;
}

void Engine::reset_stats() {
  uint64_t total = 0;
  for (const auto& d : dbs_) total += d->expired_keys();
  expired_offset_ = total;
  stats_.total_commands = 0;
  stats_.total_connections = 0;
  stats_.rejected_connections = 0;
  stats_.net_input_bytes = 0;
  stats_.net_output_bytes = 0;
  stats_.command_usec = 0;
  stats_.keyspace_hits = 0;
  stats_.keyspace_misses = 0;
  stats_.evicted_keys = 0;
  stats_.total_reads_processed = 0;
  stats_.total_writes_processed = 0;
  evictor_.reset_stats(clock_.monotonic_us());
  stats_.total_error_replies = 0;
  stats_.unexpected_error_replies = 0;
  stats_.client_qbuf_limit_disconnections = 0;
  stats_.client_outbuf_limit_disconnections = 0;
  client_eviction_.reset_stats();
  stats_.error_codes.clear();
  stats_.errorstats_enabled = true;
  stats_.peak_memory = 0;
  repl_.sync_full = 0;
  repl_.sync_partial_ok = 0;
  repl_.sync_partial_err = 0;
  freer_.reset_freed();
  for (const CommandSpec* c : commands_.all()) {
    c->stats = CommandStats{};
    for (const auto& sub : c->subcommands) sub.stats = CommandStats{};
  }
}

void Engine::reject(Client& c, protocol::ReplyWriter& out, const CommandSpec* spec,
                    std::string msg) {
  out.error(msg);
  // A command rejected while queueing makes EXEC fail with EXECABORT.
  if (c.tx && c.tx->in_multi) c.tx->dirty_exec = true;
  count_error(out.last_error_code());
  if (spec) ++spec->stats.rejected_calls;
}

void Engine::count_error(std::string_view code) {
  ++stats_.total_error_replies;
  if (!stats_.errorstats_enabled) return;
  if (auto it = stats_.error_codes.find(code); it != stats_.error_codes.end()) {
    ++it->second;
    return;
  }
  if (stats_.error_codes.size() < Stats::kMaxErrorCodes) {
    stats_.error_codes.emplace(code, 1);
    return;
  }
  // Too many distinct codes: most likely a script making them up. Say which,
  // then keep one line that tells INFO readers errorstats stopped.
  std::string codes;
  for (const auto& [name, n] : stats_.error_codes) {
    if (!codes.empty()) codes += ", ";
    codes += name;
  }
  if (hooks_) {
    hooks_->log_warning(
        "Errorstats stopped adding new errors because the number of errors reached the limit, "
        "may be misuse of lua error_reply, please check INFO ERRORSTATS, this can be re-enabled "
        "via CONFIG RESETSTAT.");
    hooks_->log_warning("Current errors code list: " + codes);
  }
  stats_.error_codes.clear();
  stats_.error_codes.emplace("ERRORSTATS_DISABLED", 1);
  stats_.errorstats_enabled = false;
}

void Engine::prefetch(const Client& c, const protocol::PeekedCommand* cmds, size_t n) {
  uint64_t hashes[64];
  if (n > 64) n = 64;
  const Dict& dict = db(c.db_index).dict();
  for (size_t i = 0; i < n; ++i) hashes[i] = dict.prefetch_bucket(cmds[i].key);
  for (size_t i = 0; i < n; ++i) dict.prefetch_chain(hashes[i]);
  // Members of big collections, two more steps (index slot, then node). The
  // member is the argument after the key (SADD, HSET, ZSCORE ...) or, for a
  // sorted set, possibly the one after the score (ZADD, ZINCRBY): both are
  // asked for there. Strings and compact encodings stop here.
  const Object* objs[64];
  uint64_t slots[64][2];
  size_t m = 0;
  for (size_t i = 0; i < n; ++i) {
    if (cmds[i].arg2.empty()) continue;
    const Entry* e = dict.peek(cmds[i].key, hashes[i]);
    if (!e || e->value.is_string() || e->value.empty()) continue;
    const Object* o = e->value.object();
    objs[m] = o;
    slots[m][0] = o->prefetch_member_slot(cmds[i].arg2);
    slots[m][1] = o->type() == ValueType::kZSet && !cmds[i].arg3.empty()
                      ? o->prefetch_member_slot(cmds[i].arg3)
                      : 0;
    ++m;
  }
  for (size_t i = 0; i < m; ++i) {
    objs[i]->prefetch_member_node(slots[i][0]);
    if (slots[i][1]) objs[i]->prefetch_member_node(slots[i][1]);
  }
}

void Engine::execute(Client& c, Args args, protocol::ReplyWriter& out, bool follows_previous) {
  // A connection that asked for SYNC/PSYNC is a replica: any reply would land
  // in its stream. Only REPLCONF (which answers nothing then) may run; for
  // anything else it is dropped, as Redis does.
  if (c.replica && c.replica->state != ReplicaSyncState::kNone && !args.empty() &&
      !iequals(args[0], "replconf")) {
    refuse_replica_command(c, args);
    return;
  }
  if (!c.reply_off && !c.reply_skip) {
    dispatch(c, args, out, follows_previous);
  } else {
    // CLIENT REPLY OFF/SKIP: the command runs (stats, errors) but its reply is
    // dropped. A skip covers this one command, nested ones (EXEC's) included.
    c.reply_turned_on = false;
    protocol::OutputBuffer sink;
    protocol::ReplyWriter muted(sink, out.resp());
    dispatch(c, args, muted, follows_previous);
    c.reply_skip = false;
    out.set_resp(muted.resp());
    // CLIENT REPLY ON answers: the switch is back on before its reply.
    if (c.reply_turned_on) out.raw(sink.to_string());
    c.reply_turned_on = false;
  }
  if (c.reply_skip_next) {  // set by CLIENT REPLY SKIP: mute the next command
    c.reply_skip = true;
    c.reply_skip_next = false;
  }
  // CLIENT CACHING covers the next command, or the next transaction.
  if (c.tracking && c.tracking->caching && !in_multi(c) && !args.empty() &&
      !iequals(args[0], "client")) {
    c.tracking->caching = false;
  }
}

void Engine::refuse_replica_command(Client& c, Args args) {
  const CommandSpec* spec = commands().find(args[0]);
  if (spec && !spec->subcommands.empty() && args.size() >= 2) {
    if (const CommandSpec* sub = commands().find_sub(*spec, args[1])) spec = sub;
  }
  const std::string name = spec ? spec->fullname : to_lower(args[0]);
  std::string reply = "the reply of the command";
  if (spec && (spec->flags & (kWrite | kReadonly | kMayReplicate))) {
    reply = "Replica can't interact with the keyspace";
    spdlog::warn(
        "== CRITICAL == This master is sending an error to its replica: '{}' after processing "
        "the command '{}'",
        reply, name);
  }
  spdlog::warn("Replica generated a reply to command '{}', disconnecting it: {}", name, reply);
  if (c.conn) c.conn->close_soon();
}

void Engine::dispatch(Client& c, Args args, protocol::ReplyWriter& out, bool follows_previous) {
  if (args.empty()) return;
  // One clock read serves as the command's time (expiry decisions) and as the
  // start of its duration, as Redis's call() does with ustime(). A command
  // that follows another in the same read starts when that one ended.
  const int64_t t0 = follows_previous && last_end_us_ >= 0 ? last_end_us_ : clock_.now_us();
  last_end_us_ = -1;  // until this command's handler has run
  // A script's commands all see the time the script started (its client's
  // time is set once by the runtime), as in Redis 7: a key does not expire
  // halfway through a script.
  if (!c.script) c.last_interaction_ms = t0 / 1000;
  const CommandSpec* spec = commands_.find(args[0]);
  if (!spec) {
    std::string list;
    for (size_t i = 1; i < args.size() && list.size() < 128; ++i) {
      size_t room = 128 - list.size();
      list += "'";
      list.append(args[i].substr(0, room));
      list += "' ";
    }
    std::string name(args[0].substr(0, 128));
    reject(c, out, nullptr,
           "ERR unknown command '" + name + "', with args beginning with: " + list);
    return;
  }
  if (!spec->subcommands.empty() && args.size() >= 2) {
    const CommandSpec* sub = commands_.find_sub(*spec, args[1]);
    if (!sub) {
      std::string upper = spec->name;
      for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      reject(c, out, nullptr,
             "ERR unknown subcommand '" + std::string(args[1].substr(0, 128)) + "'. Try " + upper +
                 " HELP.");
      return;
    }
    spec = sub;
  }
  // CLIENT LIST's cmd= (and so ACL LOG's client-info) names the command
  // from here on, refused or not, as Redis's lastcmd does.
  c.last_command = spec->fullname;
  if (!arity_ok(spec->arity, args.size())) {
    reject(c, out, spec, "ERR wrong number of arguments for '" + spec->fullname + "' command");
    return;
  }
  if ((spec->flags & kDebugGated) &&
      !protected_action_allowed(config_.v().enable_debug_command, is_local_client(c))) {
    reject(c, out, spec,
           "ERR DEBUG command not allowed. If the enable-debug-command option is set to "
           "\"local\", you can run it from a local connection, otherwise you need to set this "
           "option in the configuration file, and then restart the server.");
    return;
  }
  if (!(spec->flags & kNoAuth) && auth_required(c)) {
    reject(c, out, spec, err::kNoAuth);
    return;
  }
  if (c.user && !c.user->unrestricted && !c.script && reject_by_acl(c, *spec, args, out)) return;
  if (reject_in_pubsub_context(c, *spec, out)) return;
  // While the dataset loads (a slow script in the AOF lets the loop run),
  // other clients get LOADING, ahead of BUSY as in Redis.
  if (loading_ && !c.loader && !c.script && !(spec->flags & kLoading)) {
    reject(c, out, spec, "LOADING Redis is loading the dataset in memory");
    return;
  }
  // Loading in the background, the old data served: only what would touch
  // the load itself (REPLICAOF, SAVE, ...) must wait for it.
  if (async_loading_ && (spec->flags & kNoAsyncLoading)) {
    reject(c, out, spec, "LOADING Redis is loading the dataset in memory");
    return;
  }
  if ((scripts_ || functions_) && reject_busy(c, *spec, out)) return;
  // A script's flags stand for EVAL's and FCALL's own (whether they may
  // write, or grow memory), as Redis reads them before the script runs.
  const uint32_t flags =
      spec->flags_finder ? spec->flags_finder(*this, args, spec->flags) : spec->flags;
  if (reject_oom(c, *spec, flags, out)) return;
  // A disk error of the AOF: writes would be acknowledged without being
  // persisted, so they are refused until it writes again. PING is refused
  // too, as Redis does, so that a health check (Sentinel's) sees the error;
  // not from our master, whose PINGs only keep the link alive.
  const bool disk_checked = (flags & kWrite) || (!c.master_link && spec->name == "ping");
  if (disk_checked && (!write_denied_.empty() || !snapshot_state_.last_bgsave_ok)) {
    // stop-writes-on-bgsave-error: with save points set, a failed save
    // refuses writes until one succeeds (checked first, as Redis does).
    if (!snapshot_state_.last_bgsave_ok && config_.v().stop_writes_on_bgsave_error &&
        config_.v().save.find_first_not_of(' ') != std::string::npos) {
      reject(c, out, spec, kBgsaveError);
      return;
    }
    if (!write_denied_.empty()) {
      reject(c, out, spec, write_denied_);
      return;
    }
  }
  // Commands an EXEC runs were checked when they were queued, as in Redis: a
  // transaction that demotes this server (REPLICAOF) still runs to its end.
  if (!c.in_exec && (repl_.is_replica() || repl_.min_replicas_to_write > 0)) {
    if (reject_for_replication(c, *spec, flags, out)) return;
  }
  if (postpone_if_paused(c, *spec, flags, args)) return;
  // tracking-table-max-keys holds for queued commands too; its messages go
  // out now, ahead of this command's reply.
  if (running_command_ == 0 && tracking_->tracking_clients() > 0)
    tracking_->limit_table(static_cast<uint64_t>(config_.v().tracking_table_max_keys));
  if (queue_in_multi(c, *spec, flags, args, out)) return;
  // The master's commands see keys as the master has them (nothing expires
  // under them); restored after, since EXEC and scripts nest.
  struct MasterScope {
    bool& flag;
    bool saved;
    ~MasterScope() { flag = saved; }
  } master_scope{repl_.applying_master, repl_.applying_master};
  if (c.master_link) repl_.applying_master = true;
  CommandContext ctx{*this, c, args, out, *dbs_[c.db_index], c.last_interaction_ms};
  uint64_t errors_before = out.errors();
  const uint64_t uncounted_before = out.uncounted_errors();
  // Invalidations this command causes wait until its reply (and those of
  // the clients it unblocks) went out.
  tracking_->begin_command(c, *spec, args);
  const bool propagating = propagation_.active();
  const uint64_t dirty_before = stats_.dirty;
  const int db_before = c.db_index;
  if (propagating) propagation_.open_frame();
  ++running_command_;
  spec->handler(ctx);
  --running_command_;
  tracking_->after_command(c, *spec, args);
  const int64_t t1 = clock_.now_us();
  int64_t dt = t1 - t0;
  if (dt < 0) dt = 0;  // the wall clock stepped back
  ++spec->stats.calls;
  spec->stats.usec += static_cast<uint64_t>(dt);
  // A command that blocked the client has not finished: it is logged and
  // its latency recorded when served (blocking.cpp), with the time it ran,
  // not the time it waited.
  if (c.blocked && c.block) {
    c.block->exec_us += dt;
  } else {
    track_latency(*spec, dt);
    if (slow_enough(*spec, dt)) log_slow_command(c, spec, args, t1, dt);
  }
  // Classed by the command's declared flag, as Redis does.
  note_latency(spec->flags & kFast ? "fast-command" : "command", dt / 1000);
  if (stall_watch_.on()) {
    // Only a command that is the round's longest yet is described.
    if (!stall_watch_.longest_so_far(dt)) {
      stall_watch_.count_command();
    } else {
      const std::vector<int> keys = commands_.key_positions(*spec, args);
      const std::string name = spec->parent ? spec->parent->name + "|" + spec->name : spec->name;
      stall_watch_.note_command(c, name, keys.size(),
                                keys.empty() ? std::string_view() : args[keys[0]], dt);
    }
  }
  stats_.command_usec += static_cast<uint64_t>(dt);
  ++stats_.total_commands;
  if (out.errors() != errors_before) {
    ++spec->stats.failed_calls;
    count_error(out.last_error_code());
  } else if (out.uncounted_errors() != uncounted_before) {
    ++spec->stats.failed_calls;
  } else if (ctx.dirty >= 0) {
    stats_.dirty += static_cast<uint64_t>(ctx.dirty);
  } else if (spec->flags & kWrite) {
    ++stats_.dirty;
  }
  if (propagating) {
    // A command that changed data and did not say otherwise propagates as
    // it was sent; a blocked one propagates when it is served. A save resets
    // the counter: SAVE, SHUTDOWN and DEBUG RELOAD lower it, and must not
    // reach the replicas (a replica that ran its master's SHUTDOWN would stop).
    if (propagation_.close_frame() && stats_.dirty > dirty_before && !c.blocked)
      propagation_.emit(db_before, std::vector<std::string>(args.begin(), args.end()));
    if (running_command_ == 0) {
      propagation_.end_unit((spec->flags & kTouchesArbitraryKeys) != 0);
      c.woff = repl_.master_repl_offset();
    }
  }
  // After the command, as Redis does, so EXEC follows the commands it ran.
  // Administrative commands are too dangerous to show.
  if (!monitors_.empty() && !(spec->flags & (kAdmin | kSkipMonitor))) feed_monitors(c, args, spec);
  // Blocked clients are served after the whole transaction, never inside it.
  // Serving them takes time of its own: then the next command reads the clock.
  const bool serves_waiters = !c.in_exec && blocking_ && !blocking_->ready.empty();
  if (eviction_pending_ && !c.in_exec && !script_timed_out()) {
    eviction_pending_ = false;
    evictor_.perform();
  }
  if (!c.in_exec) after_command(c);
  if (release_postponed_ && running_command_ == 0) release_postponed();
  tracking_->end_command();
  last_end_us_ = serves_waiters ? -1 : t1;
}

bool Engine::reject_for_replication(Client& c, const CommandSpec& spec, uint32_t flags,
                                    protocol::ReplyWriter& out) {
  if (c.master_link) return false;
  if (repl_.is_replica()) {
    if (!repl_.link_up && !repl_.serve_stale) {
      static constexpr const char* kDown =
          "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
      // EXEC (itself allowed when stale) is refused whole if a queued
      // command is not, as Redis checks it with the queued commands' flags.
      bool exec_stale = false;
      if ((spec.flags & kRunsQueue) && in_multi(c)) {
        for (const auto& queued : c.tx->queue) {
          const CommandSpec* q = queued.empty() ? nullptr : commands().find(queued[0]);
          if (q && !(q->flags & kStale)) exec_stale = true;
        }
      }
      if (exec_stale) {
        reject(c, out, &spec, std::string("EXECABORT Transaction discarded because of: ") + kDown);
        forget_watch(c);
        return true;
      }
      // flags: a script's own allow-stale stands for EVAL's and FCALL's.
      if (!(flags & kStale)) {
        reject(c, out, &spec, kDown);
        return true;
      }
    }
    if (repl_.read_only && (flags & kWrite) && !loading_) {
      reject(c, out, &spec, "READONLY You can't write against a read only replica.");
      return true;
    }
    return false;
  }
  // min-replicas-to-write: a master without enough replicas that acknowledged
  // lately refuses writes, as Redis does; EXEC of a transaction with a write
  // is refused whole.
  bool exec_writes = false;
  if ((spec.flags & kRunsQueue) && in_multi(c)) {
    for (const auto& queued : c.tx->queue) {
      const CommandSpec* q = queued.empty() ? nullptr : commands().find(queued[0]);
      if (q && (q->flags & kWrite)) exec_writes = true;
    }
  }
  if (((flags & kWrite) || exec_writes) && repl_.min_replicas_max_lag > 0 &&
      repl_.good_replicas < repl_.min_replicas_to_write) {
    if (exec_writes) {
      reject(c, out, &spec,
             "EXECABORT Transaction discarded because of: NOREPLICAS Not enough good replicas "
             "to write.");
      forget_watch(c);
      return true;
    }
    reject(c, out, &spec, "NOREPLICAS Not enough good replicas to write.");
    return true;
  }
  return false;
}

void Engine::start_repl_stream() {
  if (repl_.has_backlog()) return;
  repl_.create_backlog();
  propagation_.add_sink(&repl_);
}

void Engine::stop_repl_stream() {
  if (!repl_.has_backlog()) return;
  propagation_.remove_sink(&repl_);
  repl_.free_backlog();
}

void Engine::apply_access_config() {
  access_.lfu = is_lfu(parse_eviction_policy(config_.v().maxmemory_policy));
  access_.log_factor = config_.v().lfu_log_factor;
  access_.decay_minutes = config_.v().lfu_decay_time;
}

void Engine::cron() {
  sample_rates();
  expire_pause(clock_.now_ms());
  if (config_.v().maxmemory > 0) {
    // Re-bases the per-command estimate, and goes on with an eviction that
    // ran out of time (or waits on the lazy-free thread).
    gauge_->refresh();
    if (!script_timed_out()) evictor_.perform();
  }
  // Output drained or grown without a command of the client's own.
  if (client_eviction_.enabled()) client_eviction_.enforce();
  uint64_t used = allocator_used_memory();
  if (used > stats_.peak_memory) stats_.peak_memory = used;
  const int64_t hz = config_.v().hz > 0 ? config_.v().hz : 10;
  // Redis's budget: 25% of each cron period for active expiry.
  const int64_t budget_us = 1'000'000 / hz / 4;
  const int64_t start = steady_us();
  const int64_t now = clock_.now_ms();
  // A replica never expires keys itself: its master sends the DELs.
  if (active_expire_enabled && !repl_.is_replica()) {
    // Timed on the injected clock for the latency monitor, only when it is on.
    const int64_t cycle_start = latency_monitor_on() ? clock_.monotonic_us() : 0;
    for (int i = 0; i < db_count(); ++i) {
      Database& d = *dbs_[(cron_db_ + i) % db_count()];
      d.active_expire(now, start + budget_us, &steady_us);
      if (steady_us() - start > budget_us) break;
    }
    cron_db_ = (cron_db_ + 1) % db_count();
    if (latency_monitor_on())
      note_latency("expire-cycle", (clock_.monotonic_us() - cycle_start) / 1000);
  } else if (active_expire_enabled) {
    // Keys a writable replica's own clients gave a TTL: its master will not
    // delete them.
    for (auto& d : dbs_) d->expire_replica_written_keys(now);
  }
  for (auto& d : dbs_) {
    d->dict().shrink_if_sparse();
    if (config_.v().activerehashing) {
      d->dict().rehash_for(1000, &steady_us);
      // Sequential slots, about a millisecond's worth: idle databases finish too.
      d->ttl_index().migrate(65536);
    }
  }
  if (tracking_->tracking_clients() > 0) {
    tracking_->limit_table(static_cast<uint64_t>(config_.v().tracking_table_max_keys));
  }
  // Keys expired or evicted above: BCAST clients hear of them now.
  tracking_->flush_broadcasts();
}

}  // namespace kvd::engine
