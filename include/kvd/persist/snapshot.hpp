#pragma once

#include <sys/types.h>
#include <cstdint>
#include <functional>
#include <string>

#include "kvd/engine/snapshot_state.hpp"
#include "kvd/persist/rdb_file.hpp"

namespace kvd::engine {
class Engine;
}  // namespace kvd::engine

// RDB snapshots of the whole keyspace: SAVE, BGSAVE (a forked child writes
// while the command thread goes on), save points, and loading at startup.
namespace kvd::persist {

using engine::SnapshotState;

// dir + dbfilename, as Redis resolves them.
std::string snapshot_path(const engine::Engine& e);

// Writes every database to `path` (a temporary file, fsynced, then renamed
// over it, so a crash never leaves half a snapshot). "" or the error.
std::string write_snapshot(engine::Engine& e, const std::string& path);

// SAVE: a snapshot now, on the command thread. Resets the change counter.
std::string save_now(engine::Engine& e);
// BGSAVE: forks a child that writes the snapshot. "" once started.
std::string start_background_save(engine::Engine& e);
// A diskless full sync: forks a child that writes "$EOF:<mark>\r\n", the
// snapshot, then the mark, to a pipe; *read_fd gets the parent's end (non-
// blocking). The cron reaps the child as for BGSAVE, but its outcome goes to
// last_socket_save_ok. "" once started.
std::string start_socket_save(engine::Engine& e, int* read_fd);
// Called by the server's cron: reaps a finished child, and starts a BGSAVE when a save
// point ("save <seconds> <changes> ...") is due.
void snapshot_cron(engine::Engine& e);
// FLUSHALL: a running BGSAVE child would write the data just dropped; it
// is killed (SIGUSR1, which does not count as a failed save).
void kill_background_save(engine::Engine& e);
// At shutdown: waits for no child (it is killed), saves if save points are set.
std::string save_for_shutdown(engine::Engine& e, bool force_save, bool no_save);

// How a snapshot meets what is already in memory (DEBUG RELOAD's options).
struct LoadOptions {
  // MERGE: the file's keys and libraries replace those of the same name;
  // otherwise one already here makes the load fail, as in Redis.
  bool allow_duplicates = false;
  // Start-up empties everything after a failed load; DEBUG RELOAD NOFLUSH
  // keeps what was there.
  bool clear_on_error = true;
  // Keys whose deadline passed are loaded too (a replica keeps them until
  // its master's DEL); otherwise they are skipped, as a master does.
  bool keep_expired = false;
  // Otherwise each skipped key is told here.
  std::function<void(int db, std::string_view key)> on_expired;
  // The replication aux fields found in the file (repl-id, repl-offset,
  // repl-stream-db), for whoever loads it to continue that history.
  std::string* repl_id = nullptr;
  int64_t* repl_offset = nullptr;
  int* repl_stream_db = nullptr;
};

// Loads the snapshot at snapshot_path(). A missing file is not an error.
// "" or what is wrong with the file.
std::string load_snapshot(engine::Engine& e, const LoadOptions& opts = {});
// The same for any RDB file (an AOF base file is one).
std::string load_snapshot_file(engine::Engine& e, const std::string& path,
                               const LoadOptions& opts = {});
// The same for an image already in memory (`path` names it in messages).
// With `consumed`, bytes may follow the image (an old AOF's command tail);
// *consumed is where it ends.
std::string load_snapshot_image(engine::Engine& e, std::string_view data, const std::string& path,
                                const LoadOptions& opts = {}, size_t* consumed = nullptr);

}  // namespace kvd::persist
