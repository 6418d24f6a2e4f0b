#pragma once
// Progress a forked child reports to its parent, as Redis's child info pipe
// does: how many keys it has written and how much memory copy-on-write has
// cost so far (the pages the parent changed since the fork, which the child
// then holds alone). INFO persistence shows it while the child runs
// (current_cow_size, current_save_keys_processed, current_fork_perc, ...)
// and keeps the last figure after (rdb_last_cow_size, aof_last_cow_size).
#include <cstdint>

#include "kvd/engine/engine.hpp"

namespace kvd::persist {

enum class ChildKind { kRdb, kAof };

// Before fork(): opens the pipe and notes the keys the child will write.
// False (and the child simply reports nothing) if no pipe could be made.
bool child_info_open(engine::Engine& e);
// Right after fork(), in each process: the parent keeps the read end, the
// child the write end. `pid` is fork()'s result (<0: the fork failed) and
// `parent_pid` the forking process's: the child dies with it (Linux).
void child_info_after_fork(engine::Engine& e, int pid, int parent_pid);

// In the child, once per key written: every 1024 keys it sends the count,
// and its copy-on-write size when the last reading is a second old.
void child_info_key_saved(engine::Engine& e);
// In the child, before it exits with success: the final copy-on-write
// size, logged as Redis logs it ("RDB: 3 MB of memory used by copy-on-write").
void child_info_final(engine::Engine& e, ChildKind kind);

// In the parent, from the cron: reads what the child sent.
void child_info_poll(engine::Engine& e);
// In the parent, once the child is reaped: reads the rest, keeps the last
// copy-on-write size for INFO and clears the current_* figures.
void child_info_close(engine::Engine& e, ChildKind kind, bool ok);

// Private_Dirty of this process (bytes), from /proc; 0 where it cannot be read.
uint64_t private_dirty_bytes();

}  // namespace kvd::persist
