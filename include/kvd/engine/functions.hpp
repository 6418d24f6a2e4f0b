#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kvd/engine/scripting.hpp"

// Redis 7 functions: libraries of Lua functions loaded with FUNCTION LOAD
// and called with FCALL. A library is its code, whose first line names it
// ("#!lua name=mylib"); running that code once registers its functions.
// Libraries live on their own interpreter (ScriptRuntime of kind kFunction),
// not EVAL's, and are saved in RDB snapshots and FUNCTION DUMP payloads as
// their code alone.
namespace kvd::engine {

struct FunctionLibrary;

struct FunctionInfo {
  std::string name;
  std::string description;
  bool has_description = false;
  uint32_t flags = 0;  // ScriptFlag bits, never kScriptCompat
  int ref = -1;        // the callback, in the interpreter's registry
  const FunctionLibrary* library = nullptr;
};

struct FunctionLibrary {
  std::string name;
  std::string code;  // the whole payload, shebang line included
  // By name, as registered (names differing only in case are distinct here).
  std::map<std::string, FunctionInfo> functions;
};

// Orders names without regard to case: function names are looked up so.
struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

class FunctionStore {
 public:
  using Libraries = std::map<std::string, std::unique_ptr<FunctionLibrary>, std::less<>>;
  enum class RestorePolicy { kFlush, kAppend, kReplace };
  // How long a library's code may run when loaded by a client.
  static constexpr int64_t kLoadTimeoutMs = 500;

  explicit FunctionStore(Engine& engine);
  ~FunctionStore();
  FunctionStore(const FunctionStore&) = delete;
  FunctionStore& operator=(const FunctionStore&) = delete;

  // FUNCTION LOAD [REPLACE]: the library's name, or "" with Redis's error in
  // err (nothing changed then). timeout_ms 0: no limit (loading a snapshot).
  std::string load(std::string_view code, bool replace, int64_t timeout_ms, std::string* err);
  // FUNCTION DELETE: false when there is no such library.
  bool remove(std::string_view library);
  // FUNCTION FLUSH: every library goes, and the interpreter starts afresh.
  void flush();
  // FUNCTION RESTORE: loads every library in `codes` (FUNCTION DUMP's or a
  // snapshot's), then adds them as `policy` says. All or nothing.
  bool restore(const std::vector<std::string>& codes, RestorePolicy policy, std::string* err);

  // By name, in any case; null when no library has it.
  const FunctionInfo* find(std::string_view name) const;
  const Libraries& libraries() const { return current_.libraries; }
  size_t function_count() const { return current_.functions.size(); }
  size_t library_count() const { return current_.libraries.size(); }
  // INFO used_memory_functions: the libraries' code, names and bookkeeping.
  size_t overhead_memory() const;

  ScriptRuntime& runtime() { return runtime_; }
  const ScriptRuntime& runtime() const { return runtime_; }

 private:
  // Libraries and the index of their functions: the current set, or one
  // being built by FUNCTION RESTORE.
  struct LibrarySet {
    Libraries libraries;
    std::map<std::string, const FunctionInfo*, CaseInsensitiveLess> functions;
  };
  // Compiles `code` and adds it to `set`; "" and err when it cannot.
  std::string create(std::string_view code, bool replace, int64_t timeout_ms, LibrarySet& set,
                     std::string* err);
  static void link(LibrarySet& set, std::unique_ptr<FunctionLibrary> lib);
  static std::unique_ptr<FunctionLibrary> unlink(LibrarySet& set, std::string_view name);
  void clear(LibrarySet& set);
  // Moves src's libraries into current_; on a name collision fails (or,
  // with `replace`, replaces same-named libraries), leaving both unchanged.
  bool join(LibrarySet& src, bool replace, std::string* err);

  ScriptRuntime runtime_;
  LibrarySet current_;
};

// The parts of a library's first line ("#!lua name=mylib").
struct LibraryMetadata {
  std::string engine;
  std::string name;
  size_t code_offset = 0;  // where the code after the line starts (its '\n')
};
bool parse_library_metadata(std::string_view code, LibraryMetadata* md, std::string* err);

}  // namespace kvd::engine
