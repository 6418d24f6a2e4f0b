#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

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

// The flag called `name` ("no-writes" ...); 0 when none is. Shebang lines
// spell them exactly, register_function in any case.
uint32_t script_flag_named(std::string_view name, bool ignore_case);
// A command's flags when it runs a script with these flags (not in
// compatibility mode): write and deny-oom unless the script says otherwise,
// stale only when it allows it.
uint32_t script_command_flags(uint32_t command_flags, uint32_t script_flags);
// The names of the flags set, in Redis's order (FUNCTION LIST).
std::vector<std::string_view> script_flag_names(uint32_t flags);

struct FunctionInfo;     // engine/functions.hpp
struct FunctionLibrary;  // engine/functions.hpp

// Which interpreter: EVAL's script cache, or FUNCTION's libraries. Each has
// a Lua state of its own, as in Redis (SCRIPT FLUSH leaves functions alone).
enum class ScriptKind { kEval, kFunction };

// A Lua interpreter (src/engine/scripting/). One lua_State, created on first
// use. For EVAL it holds every cached script as a compiled function named by
// the SHA-1 of its body; for FUNCTION, the callbacks libraries registered.
// Scripts run on the command thread, to the end, like any command: nothing
// else runs meanwhile.
class ScriptRuntime {
 public:
  explicit ScriptRuntime(Engine& engine, ScriptKind kind = ScriptKind::kEval);
  ~ScriptRuntime();
  ScriptRuntime(const ScriptRuntime&) = delete;
  ScriptRuntime& operator=(const ScriptRuntime&) = delete;

  ScriptKind kind() const { return kind_; }

  // EVAL. Compiles `body` and caches it (a cached body is not compiled
  // again). Returns its SHA-1, or an empty string with the error in err.
  std::string load(std::string_view body, std::string* err);
  bool exists(std::string_view sha) const;
  // The shebang flags of a cached script; false when it is not cached.
  bool flags_of(std::string_view sha, uint32_t* flags) const;
  // Drops every cached script (SCRIPT FLUSH, FUNCTION FLUSH): the
  // interpreter starts afresh.
  void flush();
  // Runs the cached script `sha` for `caller` with KEYS and ARGV; writes its
  // reply, or Redis's error for it, to out. `read_only`: EVAL_RO / EVALSHA_RO.
  void run(Client& caller, std::string_view sha, Args keys, Args argv, bool read_only,
           protocol::ReplyWriter& out);

  // FUNCTION. Runs a library's code (what follows its shebang line) where
  // only redis.register_function, redis.log and the version fields exist;
  // the functions it registers go into `lib`. On failure, sets Redis's
  // error and releases what was registered. timeout_ms 0: no limit.
  bool load_library(std::string_view code, FunctionLibrary& lib, int64_t timeout_ms,
                    std::string* err);
  // Lets go of the callbacks `lib` registered.
  void release(const FunctionLibrary& lib);
  // FCALL / FCALL_RO: calls fn(KEYS, ARGV). `command` is the caller's
  // command line, for FUNCTION STATS.
  void call(Client& caller, const FunctionInfo& fn, Args keys, Args argv, bool read_only,
            Args command, protocol::ReplyWriter& out);

  size_t cached_scripts() const { return scripts_.size(); }
  // Bytes the interpreter holds (INFO used_memory_vm_eval / _functions) and
  // the script bodies.
  size_t lua_memory() const;
  size_t scripts_memory() const { return scripts_bytes_; }
  // A script is running (redis.call re-entering EVAL, SCRIPT KILL).
  bool running() const { return run_ != nullptr; }
  // The running script passed busy-reply-threshold: the server serves other
  // clients between its steps, and answers them BUSY.
  bool timed_out() const { return run_ && run_->timed_out; }
  // SCRIPT KILL (asked_by kEval) or FUNCTION KILL (kFunction): an error to
  // reply, or empty once the script is told to stop.
  std::string kill(ScriptKind asked_by);
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
    std::string name;                  // the script's SHA-1, or the function's name
    std::vector<std::string> command;  // the caller's command line (FUNCTION STATS)
  };
  Run* current_run() { return run_; }
  const Run* current_run() const { return run_; }
  Engine& engine() { return engine_; }

  // While a library's code runs (FUNCTION LOAD): where register_function
  // puts what it registers, and when the load must give up.
  struct Loading {
    FunctionLibrary* library = nullptr;
    int64_t deadline_us = 0;  // 0: none
  };
  Loading* current_load() { return loading_; }

 private:
  void open();
  void close();
  // Refuses a run the script's flags forbid; true after replying.
  bool refuse_by_flags(uint32_t flags, bool read_only, protocol::ReplyWriter& out);
  // Calls what is on the stack (error handler, callee, then nargs
  // arguments) as `run`, and writes its reply or error.
  void invoke(Run& run, int nargs, protocol::ReplyWriter& out);
  void start_run(Run& run, Client& caller, std::string name, uint32_t flags, bool read_only);

  struct Script {
    std::string body;
    uint32_t flags = 0;
  };

  Engine& engine_;
  const ScriptKind kind_;
  lua_State* lua_ = nullptr;
  std::unordered_map<std::string, Script> scripts_;
  size_t scripts_bytes_ = 0;
  Run* run_ = nullptr;
  Loading* loading_ = nullptr;
  int runs_since_gc_ = 0;
};

// Redis's replies when a command meets a script running in the other
// interpreter, or a timed-out one (BUSY).
std::string busy_error(ScriptKind running);

}  // namespace kvd::engine
