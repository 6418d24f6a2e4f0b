#pragma once

#include <sys/types.h>
#include <cstdint>
#include <string>

#include "kvd/persist/rdb_file.hpp"

namespace kvd::engine {
class Engine;
}

// RDB snapshots of the whole keyspace: SAVE, BGSAVE (a forked child writes
// while the command thread goes on), save points, and loading at startup.
namespace kvd::persist {

// What INFO persistence and LASTSAVE report.
struct SnapshotState {
  int64_t last_save_s = 0;  // Unix time of the last successful save (start time until then)
  bool last_bgsave_ok = true;
  int64_t last_bgsave_time_s = -1;
  pid_t child = -1;  // a BGSAVE child is writing
  int64_t child_start_ms = 0;
  uint64_t dirty_at_child_start = 0;
  uint64_t saves = 0;
  int64_t last_save_attempt_s = 0;  // save points retry a failed save after 5 s
  uint64_t last_load_keys_loaded = 0;
  uint64_t last_load_keys_expired = 0;
  int64_t total_forks = 0;
  int64_t latest_fork_usec = 0;
};

// dir + dbfilename, as Redis resolves them.
std::string snapshot_path(const engine::Engine& e);

// Writes every database to `path` (a temporary file, fsynced, then renamed
// over it, so a crash never leaves half a snapshot). "" or the error.
std::string write_snapshot(engine::Engine& e, const std::string& path);

// SAVE: a snapshot now, on the command thread. Resets the change counter.
std::string save_now(engine::Engine& e);
// BGSAVE: forks a child that writes the snapshot. "" once started.
std::string start_background_save(engine::Engine& e);
// Called by cron: reaps a finished child, and starts a BGSAVE when a save
// point ("save <seconds> <changes> ...") is due.
void snapshot_cron(engine::Engine& e);
// At shutdown: waits for no child (it is killed), saves if save points are set.
std::string save_for_shutdown(engine::Engine& e, bool force_save, bool no_save);

// Loads the snapshot at snapshot_path() into empty databases. A missing file
// is not an error. "" or what is wrong with the file.
std::string load_snapshot(engine::Engine& e);

}  // namespace kvd::persist
