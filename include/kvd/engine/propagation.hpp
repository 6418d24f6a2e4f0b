#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvd::engine {

// Where an effect goes: Redis's PROPAGATE_AOF and PROPAGATE_REPL, which a
// script picks with redis.set_repl (REPL_AOF = 1, REPL_REPLICA = 2).
enum : uint8_t { kToAof = 1, kToReplicas = 2, kToAll = kToAof | kToReplicas };

// One deterministic effect of a write: a command to run in database `db`.
struct Effect {
  int db = 0;
  std::vector<std::string> argv;
  uint8_t targets = kToAll;
};

// A consumer of the stream (the AOF today, replicas later). `unit` is what
// one top-level execution (a command, a transaction, a script, one expired
// key) did; a consumer must apply a unit of more than one effect atomically
// (the AOF wraps it in MULTI/EXEC).
class EffectSink {
 public:
  virtual ~EffectSink() = default;
  virtual void consume(const std::vector<Effect>& unit) = 0;
  // Which of kToAof / kToReplicas this sink is: effects not meant for it are
  // left out of the units it gets.
  virtual uint8_t target() const = 0;
};

// The single stream of effects every write produces. The dispatcher opens a
// frame per command (frames nest for EXEC and scripts); at the end of the
// outermost one the collected effects go to the sinks as one unit. A
// command whose argv is not deterministic replaces it (SET ... PXAT for
// SET EX, SREM for SPOP); a command that ran others (EXEC, EVAL, FCALL)
// contributes only their effects. With no sink nothing is recorded, so a
// server without AOF pays one branch per command.
class Propagation {
 public:
  void add_sink(EffectSink* s);
  void remove_sink(EffectSink* s);
  bool active() const { return !sinks_.empty(); }

  // Dispatch opens a frame before a command's handler and closes it after;
  // close returns whether the command's own argv should be propagated (it
  // neither replaced it nor ran other commands).
  void open_frame();
  bool close_frame();
  int depth() const { return static_cast<int>(frames_.size()); }

  // An effect of the running command (or of none: an expired key in cron).
  // Outside any frame it is a unit of its own, delivered at once.
  void emit(int db, std::vector<std::string> argv);
  // The running command propagates `argv` (called any number of times)
  // instead of its own arguments.
  void replace(int db, std::vector<std::string> argv);
  // The running command propagates nothing of its own.
  void suppress();
  // Delivers what the outermost frame collected; `one_by_one`: each effect
  // as a unit of its own (lazy expiries of SCAN and RANDOMKEY).
  void end_unit(bool one_by_one = false);
  // Where the effects emitted from now on go (redis.set_repl inside a
  // script; a script's run starts and ends with kToAll).
  void set_targets(uint8_t targets) { targets_ = targets; }

 private:
  struct Frame {
    bool handled = false;    // replaced or suppressed
    bool ran_child = false;  // ran other commands (EXEC, scripts)
  };
  std::vector<EffectSink*> sinks_;
  std::vector<Frame> frames_;
  std::vector<Effect> pending_;
  uint8_t targets_ = kToAll;
  bool narrowed_ = false;  // an effect in pending_ is not for every sink
};

// Helpers for the common rewrites.
std::vector<std::string> effect_argv(std::initializer_list<std::string_view> parts);

}  // namespace kvd::engine
