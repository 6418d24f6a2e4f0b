#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "kvd/engine/client.hpp"
#include "kvd/engine/command.hpp"
#include "kvd/protocol/reply_writer.hpp"

struct lua_State;

namespace kvd::engine {

class Engine;

// Flags a script declares in its shebang line ("#!lua flags=no-writes,...").
enum ScriptFlag : uint32_t {
  kScriptCompat = 1u << 0,  // no shebang: Redis 6 semantics
  kScriptNoWrites = 1u << 1,
  kScriptAllowOom = 1u << 2,
  kScriptAllowStale = 1u << 3,
  kScriptNoCluster = 1u << 4,
  kScriptAllowCrossSlot = 1u << 5,
};

// Parses a body's shebang line. On success sets the flags and the length of
// the line (without its newline; 0 when there is none); otherwise sets err.
bool parse_script_shebang(std::string_view body, uint32_t* flags, size_t* shebang_len,
                          std::string* err);

// The command flags of an EVAL or FCALL of a script with these shebang flags,
// as Redis's scriptFlagsToCmdFlags: a script that declares flags writes only
// if it does not say no-writes, and is never merely "may replicate".
uint32_t script_command_flags(uint32_t declared, uint32_t script_flags);

// The Lua interpreter behind EVAL and SCRIPT (src/engine/scripting/). One
// lua_State, created on first use, holds every cached script as a compiled
// function named by the SHA-1 of its body. Scripts run on the command thread,
// to the end, like any command: nothing else runs meanwhile.
class ScriptRuntime {
 public:
  explicit ScriptRuntime(Engine& engine);
  ~ScriptRuntime();
  ScriptRuntime(const ScriptRuntime&) = delete;
  ScriptRuntime& operator=(const ScriptRuntime&) = delete;

  // Compiles `body` and caches it (a cached body is not compiled again).
  // Returns its SHA-1, or an empty string with the error in err.
  std::string load(std::string_view body, std::string* err);
  bool exists(std::string_view sha) const;
  // The shebang flags of the cached script `sha` (lower-case hex); false when
  // it is not cached.
  bool cached_flags(std::string_view sha, uint32_t* flags) const;
  // Drops every cached script (SCRIPT FLUSH): the interpreter starts afresh.
  void flush();
  // Runs the cached script `sha` for `caller` with KEYS and ARGV; writes its
  // reply, or Redis's error for it, to out. `read_only`: EVAL_RO / EVALSHA_RO.
  void run(Client& caller, std::string_view sha, Args keys, Args argv, bool read_only,
           protocol::ReplyWriter& out);

  size_t cached_scripts() const { return scripts_.size(); }
  // Bytes the interpreter holds (INFO used_memory_lua) and the script bodies.
  size_t lua_memory() const;
  size_t scripts_memory() const { return scripts_bytes_; }
  // A script is running (redis.call re-entering EVAL, SCRIPT KILL).
  bool running() const { return run_ != nullptr; }
  // The running script passed busy-reply-threshold: the server serves other
  // clients between its steps, and answers them BUSY.
  bool timed_out() const { return run_ && run_->timed_out; }
  // SCRIPT KILL: an error to reply, or empty once the script is told to stop.
  std::string kill();
  // SHUTDOWN NOSAVE while a script runs: stop it even if it has written.
  void abort_for_shutdown() {
    if (run_) run_->kill_requested = true;
  }

  // The state of the script that runs now; used by the redis.* functions.
  struct Run {
    Client* caller = nullptr;
    Client script_client;
    uint32_t flags = 0;
    bool read_only = false;
    bool wrote = false;
    bool timed_out = false;
    bool kill_requested = false;
    int64_t start_us = 0;
    std::string sha;
  };
  Run* current_run() { return run_; }
  Engine& engine() { return engine_; }

 private:
  void open();
  void close();

  struct Script {
    std::string body;
    uint32_t flags = 0;
  };

  Engine& engine_;
  lua_State* lua_ = nullptr;
  std::unordered_map<std::string, Script> scripts_;
  size_t scripts_bytes_ = 0;
  Run* run_ = nullptr;
  int runs_since_gc_ = 0;
};

}  // namespace kvd::engine
