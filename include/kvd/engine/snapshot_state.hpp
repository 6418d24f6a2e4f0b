#pragma once

#include <sys/types.h>
#include <cstdint>

namespace kvd::engine {

// The state of RDB snapshots that INFO persistence and LASTSAVE report. The
// engine holds it; persist/snapshot.cpp (SAVE, BGSAVE, save points, loading)
// fills it in.
// A dataset load at start-up (INFO's loading_* fields, while it runs).
struct LoadingProgress {
  bool active = false;
  bool serve_clients = false;  // clients are served (with LOADING) meanwhile
  int64_t start_time_s = 0;
  uint64_t total_bytes = 0;   // of the files being loaded, as they are opened
  uint64_t rdb_used_mem = 0;  // the used-mem aux field of the RDB
  uint64_t loaded_bytes = 0;
  uint64_t served_at_bytes = 0;  // loaded_bytes when clients were last served
};

// What a forked child (BGSAVE, AOF rewrite, a replica's full sync) last
// reported through its pipe (persist/child_info.cpp): INFO's current_*
// fields while it runs, the *_last_cow_size ones after.
struct ChildProgress {
  int read_fd = -1;         // the parent's end, while a child runs
  int write_fd = -1;        // the child's end, in the child only
  uint64_t keys_total = 0;  // keys in every database at the fork
  uint64_t keys_processed = 0;
  uint64_t cow_bytes = 0;
  uint64_t cow_peak = 0;
  uint64_t cow_sum = 0;  // with cow_samples: the average the log reports
  uint64_t cow_samples = 0;
  int64_t cow_updated_ms = 0;  // when cow_bytes was measured (0: never)
  // The child's side: keys since its last report, when it last read its COW.
  uint64_t unreported_keys = 0;
  int64_t cow_measured_ms = 0;
};

struct SnapshotState {
  int64_t last_save_s = 0;  // Unix time of the last successful save (start time until then)
  bool last_bgsave_ok = true;
  int64_t last_bgsave_time_s = -1;
  pid_t child = -1;  // a BGSAVE child is writing
  // The child writes to a pipe the replication layer relays to replicas
  // (a diskless sync): its outcome is not a save (no MISCONF, no LASTSAVE).
  bool child_to_socket = false;
  bool last_socket_save_ok = true;
  // BGSAVE SCHEDULE (or BGSAVE in MULTI) while another child ran: cron
  // starts it once no child is left.
  bool bgsave_scheduled = false;
  int64_t child_start_ms = 0;
  uint64_t dirty_at_child_start = 0;
  uint64_t saves = 0;
  int64_t last_save_attempt_s = 0;  // save points retry a failed save after 5 s
  uint64_t last_load_keys_loaded = 0;
  uint64_t last_load_keys_expired = 0;
  int64_t total_forks = 0;
  int64_t latest_fork_usec = 0;
  LoadingProgress loading;
  ChildProgress child_progress;
  uint64_t rdb_last_cow_bytes = 0;  // what the last BGSAVE child copied on write
  uint64_t aof_last_cow_bytes = 0;  // the same for the last AOF rewrite child
};

}  // namespace kvd::engine
