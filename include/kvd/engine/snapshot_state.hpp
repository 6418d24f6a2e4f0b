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

struct SnapshotState {
  int64_t last_save_s = 0;  // Unix time of the last successful save (start time until then)
  bool last_bgsave_ok = true;
  int64_t last_bgsave_time_s = -1;
  pid_t child = -1;  // a BGSAVE child is writing
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
};

}  // namespace kvd::engine
