// The server's side of the append-only file: loading at start-up, and the
// per-iteration write (and fsync) that happens before replies are sent.
#include <spdlog/spdlog.h>

#include "kvd/persist/aof.hpp"
#include "kvd/persist/loading.hpp"
#include "kvd/persist/snapshot.hpp"
#include "kvd/server/loop_connection.hpp"
#include "kvd/server/server.hpp"

namespace kvd::server {

std::string Server::load_data() {
  // Clients that connect meanwhile get LOADING, and INFO how far it got.
  persist::LoadingScope loading(engine_, true);
  if (!config_.v().appendonly) {
    persist::LoadOptions opts;
    opts.repl_id = &rdb_replid_;
    opts.repl_offset = &rdb_repl_offset_;
    opts.repl_stream_db = &rdb_stream_db_;
    // A replica keeps keys whose deadline passed: its master's DEL removes them.
    opts.keep_expired = !config_.get("replicaof").value_or("").empty();
    if (!opts.keep_expired) {
      // A master puts the DELs of the keys it finds expired in its backlog,
      // as Redis 7.0 does: replicas that continue its history (the file's
      // replication ID and offset) must drop them too. Without that history
      // Replication::start frees the backlog again.
      engine_.start_repl_stream();
      const bool lazy = config_.get("lazyfree-lazy-expire").value_or("no") == "yes";
      opts.on_expired = [this, lazy](int db, std::string_view key) {
        engine_.repl().consume({engine::Effect{db, {lazy ? "UNLINK" : "DEL", std::string(key)}}});
      };
    }
    return persist::load_snapshot(engine_, opts);
  }
  // With the AOF on, it alone is the dataset, as in Redis (the RDB file is
  // not read even when there is no AOF yet).
  bool found = false;
  std::string err = aof_->load(&found);
  if (!err.empty()) return err;
  return aof_->open_on_start();
}

bool Server::replies_wait_for_aof() const {
  return aof_->holds_replies();
}

bool Server::hold_replies(const std::shared_ptr<LoopConnection>& c) {
  if (!aof_->holds_replies()) return false;
  held_.push_back(c);
  schedule_before_sleep();
  return true;
}

void Server::sync_aof_before_replies() {
  if (aof_->holds_replies()) aof_->flush(true);
}

void Server::schedule_before_sleep() {
  // The main loop runs before_sleep() after the round's client sockets and
  // Asio handlers, just before it waits again (Server::run), as Redis writes
  // (and under `always` fsyncs) the AOF once per iteration: every client
  // whose request was ready in the round shares that write and fsync.
  before_sleep_pending_ = true;
}

void Server::run_before_sleep() {
  if (!before_sleep_pending_) return;
  before_sleep_pending_ = false;
  before_sleep();
}

void Server::before_sleep() {
  meter_.begin_work();
  aof_->flush(false);
  if (held_.empty()) return;
  std::vector<std::shared_ptr<LoopConnection>> held;
  held.swap(held_);
  for (auto& c : held) c->flush();
}

}  // namespace kvd::server
