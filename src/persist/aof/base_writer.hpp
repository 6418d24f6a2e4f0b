#pragma once

#include <string>

#include "kvd/engine/engine.hpp"

// Writes an AOF base file: the whole dataset as an RDB image
// (aof-use-rdb-preamble yes, "<name>.base.rdb") or as commands in RESP
// ("<name>.base.aof"). Called on the command thread at start-up and in the
// rewrite child.
namespace kvd::persist::aof {

// dir/name, written through a temp file, fsynced and renamed, then the
// directory fsynced. "" or the error.
std::string write_base(engine::Engine& e, const std::string& dir, const std::string& name,
                       bool rdb);

}  // namespace kvd::persist::aof
