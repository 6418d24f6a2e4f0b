#pragma once

#include <sys/types.h>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kvd/engine/engine.hpp"
#include "kvd/engine/propagation.hpp"

// The append-only file, laid out as Redis 7.0 lays it out: a directory
// (appenddirname) holding one base file (an RDB image, or commands without
// the RDB preamble), incr files of commands in RESP, and a manifest naming
// them in order. The AOF consumes the engine's propagation stream, keeps
// what it is given in a buffer, and the server writes (and, under
// `appendfsync always`, fsyncs) that buffer once per loop iteration before
// any reply goes out.
namespace kvd::persist {

namespace aof {
class FsyncThread;
}

// What INFO persistence reports about the AOF.
struct AofInfo {
  bool enabled = false;
  bool rewrite_in_progress = false;
  bool rewrite_scheduled = false;
  int64_t last_rewrite_time_sec = -1;
  int64_t current_rewrite_time_sec = -1;
  bool last_bgrewrite_ok = true;
  uint64_t rewrites = 0;
  uint64_t consecutive_failures = 0;
  bool last_write_ok = true;
  int64_t current_size = 0;
  int64_t base_size = 0;
  uint64_t buffer_length = 0;
  uint64_t pending_bio_fsync = 0;
  uint64_t delayed_fsync = 0;
  bool loading_truncated = false;
};

class Aof : public engine::Extension, public engine::EffectSink {
 public:
  explicit Aof(engine::Engine& e);
  ~Aof() override;

  // The instance attached to the engine, created on first use.
  static Aof& of(engine::Engine& e);
  // The attached instance, or null (an engine in a unit test has none).
  static Aof* find(engine::Engine& e) { return static_cast<Aof*>(e.aof_slot().get()); }

  // Start-up, when appendonly is yes: loads the files the manifest names
  // into the (empty) engine. `*found` tells whether there was anything to
  // load. "" or the fatal error (the server exits, as Redis does).
  std::string load(bool* found);
  // Start-up after loading: creates the base when there is none, opens
  // the last incr file (or a new one) and writes the manifest. From then
  // on the AOF consumes the propagation stream.
  std::string open_on_start();

  // CONFIG SET appendonly yes: a rewrite writes the initial base while
  // writes already go to a new incr file. "" or why it cannot start.
  std::string enable_at_runtime();
  // CONFIG SET appendonly no: flushes, fsyncs and stops; a running rewrite
  // is killed.
  void disable_at_runtime();
  bool on() const { return state_ != State::kOff; }

  // engine::EffectSink: appends the unit's commands to the buffer.
  void consume(const std::vector<engine::Effect>& unit) override;
  uint8_t target() const override { return engine::kToAof; }

  // Called when the buffer goes from empty to holding data, so the server
  // arranges a flush at the end of this loop iteration.
  void set_data_callback(std::function<void()> cb) { on_data_ = std::move(cb); }
  // Writes the buffer to the incr file and fsyncs as appendfsync says
  // (always: here; everysec: on the background thread, once a second).
  // `force` writes even when an everysec fsync is still running.
  void flush(bool force);
  // Something not yet written (under `always`: not yet fsynced): replies
  // must wait for the loop iteration's flush.
  bool holds_replies() const;
  bool has_pending() const { return !buf_.empty(); }

  // The server's cron: finishes a rewrite whose child exited, starts a
  // scheduled or automatic one, fsyncs everysec data, retries after errors.
  void cron();
  // BGREWRITEAOF. Replies "" when started, "+..." (status) when scheduled,
  // or "-ERR ..." text.
  std::string rewrite_command();
  // Starts a background rewrite now. "" or the error.
  std::string start_rewrite();
  // Shutdown: the buffer written and fsynced; a running rewrite killed.
  void shutdown();
  // DEBUG LOADAOF: flushes, empties the engine and loads the files again.
  std::string debug_reload();

  // A write or fsync failed and has not succeeded since: the MISCONF error
  // text for write commands ("" when fine).
  std::string write_error() const;

  AofInfo info() const;
  // DEBUG AOF-FLUSH-SLEEP: each write of the buffer first sleeps this long
  // (tests use it to look at the file between a command and its reply).
  void set_flush_sleep_us(int64_t us) { flush_sleep_us_ = us; }

 private:
  enum class State { kOff, kOn, kWaitRewrite };
  struct Manifest;

  std::string dir_path() const;
  std::string file_path(const std::string& name) const;
  std::string persist_manifest(const Manifest& m);
  // Start-up: a pre-7.0 appendonly.aof in `dir` moved in as the base.
  std::string upgrade_if_old();
  void reread_manifest();
  std::string open_incr(const std::string& name, bool truncate);
  std::string write_base_now(const std::string& name);
  enum class Done { kOk, kFailed, kSignaled, kKilledByUs };
  void rewrite_done(Done status, int signal);
  void rewrite_failed_cleanup();
  bool rewrite_limited();
  std::string temp_incr_name() const;
  void remove_history();
  bool fsync_now();
  void write_buffer();
  void append_command(const std::vector<std::string>& argv);
  // "" after a successful write; else the error, which also refuses writes.
  void set_write_status(const std::string& error);

  engine::Engine& e_;
  State state_ = State::kOff;
  std::unique_ptr<Manifest> manifest_;
  int fd_ = -1;
  std::string buf_;
  int selected_db_ = -1;
  int64_t last_ts_s_ = 0;
  std::function<void()> on_data_;
  std::unique_ptr<aof::FsyncThread> fsync_;
  // Bytes written to the current incr file, and how far the last fsync
  // (requested or finished) reached.
  int64_t incr_size_ = 0;
  int64_t fsynced_size_ = 0;
  int64_t last_fsync_ms_ = 0;
  int64_t flush_postponed_since_ms_ = 0;
  // A rewrite child.
  pid_t child_ = -1;
  int64_t rewrite_start_ms_ = 0;
  bool write_failed_ = false;
  std::string write_error_;
  int64_t last_write_error_log_s_ = 0;
  AofInfo info_;
  // The rewrite limit's backoff (minutes) and when it next lets one start.
  int64_t limit_delay_min_ = 0;
  int64_t limit_next_s_ = 0;
  int64_t flush_sleep_us_ = 0;
};

}  // namespace kvd::persist
