#pragma once

#include <string>

#include "kvd/engine/engine.hpp"

// Replays one AOF file (a base or an incr file) into the engine, as Redis's
// loadSingleAppendOnlyFile does: an RDB image first if the file starts with
// "REDIS", then commands in RESP ("#" lines are annotations), each run
// through the engine as a client of its own. A torn tail (the last command
// cut short, or a MULTI without its EXEC) is cut off when
// aof-load-truncated allows it.
namespace kvd::persist::aof {

enum class LoadStatus { kOk, kNotExist, kEmpty, kOpenError, kFailed, kTruncated };

LoadStatus load_file(engine::Engine& e, const std::string& dir, const std::string& name);

}  // namespace kvd::persist::aof
