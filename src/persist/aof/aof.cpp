#include "kvd/persist/aof.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base_writer.hpp"
#include "fsync_thread.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/functions.hpp"
#include "kvd/persist/child_info.hpp"
#include "kvd/persist/files.hpp"
#include "kvd/persist/snapshot.hpp"
#include "kvd/protocol/command_encoder.hpp"
#include "loader.hpp"
#include "manifest.hpp"

namespace kvd::persist {

struct Aof::Manifest : aof::AofManifest {};

namespace {

int64_t file_size(const std::string& path) {
  struct stat sb {};
  return ::stat(path.c_str(), &sb) == 0 ? static_cast<int64_t>(sb.st_size) : 0;
}

}  // namespace

Aof::Aof(engine::Engine& e)
    : e_(e), manifest_(std::make_unique<Manifest>()), fsync_(std::make_unique<aof::FsyncThread>()) {
  // CONFIG SET appendonly yes|no switches the AOF at runtime; at start-up
  // the server opens it after loading (the listener only hears CONFIG SET).
  e_.config().on_change("aof-disable-auto-gc", [this] {
    if (!e_.config().v().aof_disable_auto_gc) remove_history();
  });
  e_.config().on_change("appendonly", [this] {
    if (e_.config().v().appendonly && state_ == State::kOff) {
      std::string err = enable_at_runtime();
      if (!err.empty()) spdlog::warn("{}", err);
    } else if (!e_.config().v().appendonly && state_ != State::kOff) {
      disable_at_runtime();
    }
  });
}

Aof::~Aof() {
  e_.propagation().remove_sink(this);
  if (fd_ >= 0) ::close(fd_);
}

Aof& Aof::of(engine::Engine& e) {
  auto& slot = e.aof_slot();
  if (!slot) slot = std::make_unique<Aof>(e);
  return static_cast<Aof&>(*slot);
}

std::string Aof::dir_path() const {
  const auto& v = e_.config().v();
  std::string dir = v.dir.empty() ? "." : v.dir;
  if (dir.back() != '/') dir += '/';
  return dir + v.appenddirname;
}

std::string Aof::file_path(const std::string& name) const {
  return dir_path() + "/" + name;
}

// ---------------------------------------------------------------- loading

std::string Aof::load(bool* found) {
  *found = false;
  const auto& v = e_.config().v();
  manifest_ = std::make_unique<Manifest>();
  const std::string mpath = file_path(v.appendfilename + ".manifest");
  std::string text;
  int rd = persist::read_file(mpath, &text);
  if (rd != 0 && rd != ENOENT) {
    std::string err = "Fatal error: can't open the AOF manifest file " + mpath +
                      " for reading: " + std::strerror(rd);
    spdlog::warn("{}", err);
    return err;
  }
  if (rd == 0) {
    int line_no = 0;
    std::string line;
    std::string err = aof::parse_manifest(text, manifest_.get(), &line_no, &line);
    if (!err.empty()) {
      spdlog::warn("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
      if (!line.empty()) {
        spdlog::warn("Reading the manifest file, at line {}\n", line_no);
        spdlog::warn(">>> '{}'\n", line);
      }
      spdlog::warn("{}\n", err);
      manifest_ = std::make_unique<Manifest>();
      return err;
    }
  }
  if (std::string err = upgrade_if_old(); !err.empty()) return err;
  if (manifest_->empty()) return "";  // no AOF yet: open_on_start creates one
  // Every file the manifest names must be there.
  int64_t total = 0;
  std::vector<aof::AofFile> files;
  if (manifest_->has_base) files.push_back(manifest_->base);
  files.insert(files.end(), manifest_->incrs.begin(), manifest_->incrs.end());
  for (const auto& f : files) {
    struct stat sb {};
    if (::stat(file_path(f.name).c_str(), &sb) != 0) {
      spdlog::warn("Unable to obtain the AOF file {} length. stat: {}", f.name,
                   std::strerror(errno));
      return "Fatal error: the AOF file " + f.name + " named by the manifest can't be read";
    }
    total += sb.st_size;
  }
  if (total == 0) return "";
  // Loading must not feed what it replays back into the file.
  const bool was_sink = state_ != State::kOff;
  e_.propagation().remove_sink(this);
  const int64_t t0 = e_.clock().monotonic_us();
  std::string err;
  for (size_t i = 0; i < files.size() && err.empty(); ++i) {
    const bool last = i + 1 == files.size();
    const bool is_base = manifest_->has_base && i == 0;
    const int64_t t = e_.clock().monotonic_us();
    aof::LoadStatus st = aof::load_file(e_, dir_path(), files[i].name);
    if (st == aof::LoadStatus::kOk || (st == aof::LoadStatus::kTruncated && last)) {
      spdlog::info("DB loaded from {} file {}: {:.3f} seconds", is_base ? "base" : "incr",
                   files[i].name, (e_.clock().monotonic_us() - t) / 1e6);
    }
    if (st == aof::LoadStatus::kTruncated) info_.loading_truncated = true;
    if (st == aof::LoadStatus::kTruncated && !last) {
      spdlog::warn("Fatal error: the truncated file is not the last file");
      st = aof::LoadStatus::kFailed;
    }
    if (st == aof::LoadStatus::kFailed || st == aof::LoadStatus::kOpenError ||
        st == aof::LoadStatus::kNotExist)
      err = "Fatal error loading the AOF file " + files[i].name;
  }
  if (was_sink) e_.propagation().add_sink(this);
  if (!err.empty()) return err;
  *found = true;
  info_.current_size = 0;
  for (const auto& f : files) info_.current_size += file_size(file_path(f.name));
  info_.base_size = manifest_->has_base ? file_size(file_path(manifest_->base.name)) : 0;
  spdlog::info("DB loaded from append only file: {:.3f} seconds",
               (e_.clock().monotonic_us() - t0) / 1e6);
  return "";
}

std::string Aof::upgrade_if_old() {
  // A pre-7.0 server kept one appendonly.aof in `dir`. It becomes base 1 of
  // a new appendonlydir when there is no usable AOF dir yet: no dir, no
  // manifest, or a manifest naming only that base while the file has not
  // been moved yet (an upgrade interrupted between the manifest and the
  // rename). Each step can be redone after a crash.
  const auto& v = e_.config().v();
  std::string dir = v.dir.empty() ? "." : v.dir;
  if (dir.back() != '/') dir += '/';
  const std::string old_path = dir + v.appendfilename;
  struct stat sb {};
  if (::stat(old_path.c_str(), &sb) != 0 || !S_ISREG(sb.st_mode)) return "";
  struct stat db {};
  const bool dir_exists = ::stat(dir_path().c_str(), &db) == 0 && S_ISDIR(db.st_mode);
  struct stat nb {};
  const bool interrupted = manifest_->has_base && manifest_->incrs.empty() &&
                           manifest_->base.name == v.appendfilename &&
                           ::stat(file_path(v.appendfilename).c_str(), &nb) != 0;
  if (dir_exists && !manifest_->empty() && !interrupted) return "";
  std::string err = persist::make_dir(dir_path());
  if (!err.empty()) {
    spdlog::warn("{}", err);
    return err;
  }
  manifest_ = std::make_unique<Manifest>();
  manifest_->has_base = true;
  manifest_->base = aof::AofFile{v.appendfilename, 1, 'b'};
  manifest_->base_seq = 1;
  err = persist_manifest(*manifest_);
  if (!err.empty()) return err;
  if (::rename(old_path.c_str(), file_path(v.appendfilename).c_str()) != 0) {
    err = std::string("Error trying to move the old AOF file ") + v.appendfilename + " into dir " +
          v.appenddirname + ": " + std::strerror(errno);
    spdlog::warn("{}", err);
    return err;
  }
  persist::fsync_dir(dir_path());
  spdlog::info("Successfully migrated an old-style AOF file ({}) into the AOF directory ({}).",
               v.appendfilename, v.appenddirname);
  return "";
}

// ---------------------------------------------------------------- files

std::string Aof::persist_manifest(const Manifest& m) {
  const std::string name = e_.config().v().appendfilename + ".manifest";
  std::string err = persist::write_file_atomically(dir_path(), name, m.format());
  if (!err.empty()) spdlog::warn("{}", err);
  return err;
}

std::string Aof::open_incr(const std::string& name, bool truncate) {
  const std::string path = file_path(name);
  int fd = ::open(path.c_str(),
                  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0644);
  if (fd < 0) {
    std::string err = "Can't open the append-only file " + name + ": " + std::strerror(errno);
    spdlog::warn("{}", err);
    return err;
  }
  if (fd_ >= 0) {
    // The old incr file's tail reaches the disk off the command thread.
    if (e_.config().v().appendfsync == "always") {
      ::fdatasync(fd_);
      ::close(fd_);
    } else {
      fsync_->submit(fd_, true);
    }
  }
  fd_ = fd;
  incr_size_ = file_size(path);
  fsynced_size_ = incr_size_;
  return "";
}

std::string Aof::write_base_now(const std::string& name) {
  return aof::write_base(e_, dir_path(), name, e_.config().v().aof_use_rdb_preamble);
}

std::string Aof::open_on_start() {
  const auto& v = e_.config().v();
  std::string err = persist::make_dir(dir_path());
  if (!err.empty()) {
    spdlog::warn("{}", err);
    return err;
  }
  if (manifest_->empty()) {
    // No AOF yet: the dataset (possibly loaded from nothing) becomes the base.
    std::string base = manifest_->new_base(v.appendfilename, v.aof_use_rdb_preamble);
    err = write_base_now(base);
    if (!err.empty()) {
      spdlog::warn("{}", err);
      return err;
    }
    spdlog::info("Creating AOF base file {} on server start", base);
  }
  const bool had_incr = !manifest_->incrs.empty();
  if (!had_incr) manifest_->new_incr(v.appendfilename);
  const std::string incr = manifest_->incrs.back().name;
  err = open_incr(incr, false);
  if (!err.empty()) return err;
  err = persist_manifest(*manifest_);
  if (!err.empty()) return err;
  spdlog::info("{} AOF incr file {} on server start", had_incr ? "Opening" : "Creating", incr);
  info_.base_size = manifest_->has_base ? file_size(file_path(manifest_->base.name)) : 0;
  int64_t total = info_.base_size;
  for (const auto& f : manifest_->incrs) total += file_size(file_path(f.name));
  info_.current_size = total;
  state_ = State::kOn;
  selected_db_ = -1;
  last_fsync_ms_ = e_.clock().now_ms();
  e_.propagation().add_sink(this);
  remove_history();
  return "";
}

void Aof::remove_history() {
  // aof-disable-auto-gc keeps them (and in the manifest) until set back.
  if (manifest_->history.empty() || e_.config().v().aof_disable_auto_gc) return;
  for (const auto& f : manifest_->history) {
    spdlog::info("Removing the history file {} in the background", f.name);
    ::unlink(file_path(f.name).c_str());
  }
  manifest_->history.clear();
  persist_manifest(*manifest_);
}

// ---------------------------------------------------------------- the stream

void Aof::append_command(const std::vector<std::string>& argv) {
  protocol::append_command(buf_, argv);
}

void Aof::consume(const std::vector<engine::Effect>& unit) {
  // Waiting for the rewrite that writes the first base: effects before its
  // fork are in that base already.
  if (state_ == State::kOff || (state_ == State::kWaitRewrite && child_ <= 0)) return;
  if (unit.empty()) return;
  const bool was_empty = buf_.empty();
  if (e_.config().v().aof_timestamp_enabled) {
    const int64_t now_s = e_.clock().now_ms() / 1000;
    if (now_s != last_ts_s_) {
      buf_ += "#TS:" + std::to_string(now_s) + "\r\n";
      last_ts_s_ = now_s;
    }
  }
  auto select = [&](int db) {
    if (db == selected_db_) return;
    append_command({"SELECT", std::to_string(db)});
    selected_db_ = db;
  };
  const bool wrap = unit.size() > 1;
  if (wrap) {
    select(unit.front().db);
    append_command({"MULTI"});
  }
  for (const auto& eff : unit) {
    select(eff.db);
    append_command(eff.argv);
  }
  if (wrap) append_command({"EXEC"});
  if (was_empty && on_data_) on_data_();
}

bool Aof::holds_replies() const {
  // As Redis: replies follow the write(2) of what they answer in every
  // mode (a crash of the process then loses nothing acknowledged), and
  // under `always` the fsync too. An everysec write postponed behind a slow
  // fsync does not hold them.
  if (state_ == State::kOff || buf_.empty()) return false;
  return e_.config().v().appendfsync == "always" || flush_postponed_since_ms_ == 0;
}

void Aof::write_buffer() {
  size_t off = 0;
  int err = 0;
  while (off < buf_.size()) {
    ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    off += static_cast<size_t>(n);
  }
  if (err == 0) {
    incr_size_ += static_cast<int64_t>(off);
    info_.current_size += static_cast<int64_t>(off);
    if (buf_.capacity() > 4096) {
      std::string().swap(buf_);
    } else {
      buf_.clear();
    }
    if (write_failed_ && fsync_->last_error() == 0) {
      spdlog::warn("AOF write error looks solved, kvd can write again.");
      set_write_status("");
    }
    return;
  }
  // A partial write leaves half a command in the file: cut it off so the
  // next attempt starts on a command boundary. If even that fails, keep
  // what went in and retry only the rest.
  if (off > 0) {
    if (::ftruncate(fd_, incr_size_) != 0) {
      incr_size_ += static_cast<int64_t>(off);
      info_.current_size += static_cast<int64_t>(off);
      buf_.erase(0, off);
    }
  }
  set_write_status(std::strerror(err));
  const int64_t now_s = e_.clock().now_ms() / 1000;
  if (now_s - last_write_error_log_s_ >= 30) {
    spdlog::warn("Error writing to the AOF file: {}", write_error_);
    last_write_error_log_s_ = now_s;
  }
  if (e_.config().v().appendfsync == "always") {
    // A write acknowledged under `always` must be on disk: as Redis, stop
    // rather than acknowledge what is not.
    spdlog::warn(
        "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
    ::_exit(1);
  }
}

bool Aof::fsync_now() {
  if (::fdatasync(fd_) != 0) {
    spdlog::warn(
        "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. "
        "Exiting...",
        std::strerror(errno));
    ::_exit(1);
  }
  fsynced_size_ = incr_size_;
  last_fsync_ms_ = e_.clock().now_ms();
  return true;
}

void Aof::flush(bool force) {
  if (state_ == State::kOff || fd_ < 0) return;
  const auto& v = e_.config().v();
  const int64_t now = e_.clock().now_ms();
  const bool everysec = v.appendfsync == "everysec";
  if (!buf_.empty()) {
    if (everysec && !force && fsync_->pending() > 0) {
      // A background fsync is still running: a write now would block on
      // it. Wait up to 2 s, as Redis does, then write anyway.
      if (flush_postponed_since_ms_ == 0) {
        flush_postponed_since_ms_ = now;
        return;
      }
      if (now - flush_postponed_since_ms_ < 2000) return;
      ++info_.delayed_fsync;
      spdlog::info(
          "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer "
          "without waiting for fsync to complete, this may slow down kvd.");
    }
    flush_postponed_since_ms_ = 0;
    if (flush_sleep_us_ > 0) ::usleep(static_cast<useconds_t>(flush_sleep_us_));
    write_buffer();
    if (!buf_.empty()) return;  // the write failed: retried from cron
  }
  if (incr_size_ == fsynced_size_) return;
  // no-appendfsync-on-rewrite: a child is writing heavily; skip the fsync.
  if (v.no_appendfsync_on_rewrite && child_ > 0) return;
  if (v.appendfsync == "always") {
    fsync_now();
  } else if (everysec && now - last_fsync_ms_ >= 1000 && fsync_->pending() == 0) {
    fsync_->submit(fd_, false);
    fsynced_size_ = incr_size_;
    last_fsync_ms_ = now;
  }
}

std::string Aof::write_error() const {
  if (!write_failed_) return "";
  return "MISCONF Errors writing to the AOF file: " + write_error_;
}

// ---------------------------------------------------------------- rewrite

std::string Aof::rewrite_command() {
  if (child_ > 0) return "-ERR Background append only file rewriting already in progress";
  if (e_.snapshot_state().child > 0) {
    info_.rewrite_scheduled = true;
    return "+Background append only file rewriting scheduled";
  }
  std::string err = start_rewrite();
  if (!err.empty()) {
    return "-ERR Can't execute an AOF background rewriting. Please check the server logs for "
           "more information.";
  }
  return "";
}

std::string Aof::start_rewrite() {
  if (child_ > 0 || e_.snapshot_state().child > 0) return "another child process is active";
  const auto& v = e_.config().v();
  std::string err = persist::make_dir(dir_path());
  if (!err.empty()) {
    info_.last_bgrewrite_ok = false;
    return err;
  }
  // With the AOF off, a rewrite only makes a new base (as Redis does).
  if (state_ == State::kOff) reread_manifest();
  selected_db_ = -1;
  if (state_ == State::kOn) {
    flush(true);
    // 7.0's design: the parent opens a new incr file now, so the child's
    // base plus this file are the whole dataset; no rewrite buffer.
    Manifest next = *manifest_;
    const std::string incr = next.new_incr(v.appendfilename);
    err = open_incr(incr, true);
    if (err.empty()) err = persist_manifest(next);
    if (!err.empty()) {
      info_.last_bgrewrite_ok = false;
      return err;
    }
    *manifest_ = next;
    spdlog::info("Creating AOF incr file {} on background rewrite", incr);
  } else if (state_ == State::kWaitRewrite) {
    // Writes made while the first base is written go to a temp incr file
    // (Redis's temp-<appendfilename>.incr), renamed into the manifest only
    // once the base exists, deleted if the rewrite fails.
    err = open_incr(temp_incr_name(), true);
    if (!err.empty()) {
      info_.last_bgrewrite_ok = false;
      return err;
    }
  }
  ++info_.rewrites;
  const int64_t t0 = e_.clock().monotonic_us();
  child_info_open(e_);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  child_info_after_fork(e_, pid, parent);
  if (pid < 0) {
    info_.last_bgrewrite_ok = false;
    std::string why =
        std::string("Can't rewrite append only file in background: fork: ") + std::strerror(errno);
    spdlog::warn("{}", why);
    return why;
  }
  if (pid == 0) {
    if (auto* hooks = e_.hooks()) hooks->in_forked_child("kvd-aof-rewrite");
    // The child: the dataset as it is at the fork, into a temp file that
    // the parent renames once the child exits successfully.
    const std::string tmp = "temp-rewriteaof-bg-" + std::to_string(::getpid()) + ".aof";
    std::string cerr = aof::write_base(e_, dir_path(), tmp, v.aof_use_rdb_preamble);
    if (!cerr.empty()) {
      spdlog::warn("{}", cerr);
      ::_exit(1);
    }
    child_info_final(e_, ChildKind::kAof);
    spdlog::info("Successfully created the temporary AOF base file {}", tmp);
    ::_exit(0);
  }
  auto& st = e_.snapshot_state();
  st.latest_fork_usec = e_.clock().monotonic_us() - t0;
  ++st.total_forks;
  child_ = pid;
  rewrite_start_ms_ = e_.clock().now_ms();
  info_.rewrite_scheduled = false;
  spdlog::info("Background append only file rewriting started by pid {}", pid);
  return "";
}

std::string Aof::temp_incr_name() const {
  return "temp-" + e_.config().v().appendfilename + ".incr";
}

void Aof::rewrite_failed_cleanup() {
  if (state_ != State::kWaitRewrite) return;
  // What the temp incr file held is dropped with it: the next first-base
  // rewrite starts from the dataset as it will be then.
  buf_.clear();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  spdlog::info("Removing the temp incr aof file {} in the background", temp_incr_name());
  ::unlink(file_path(temp_incr_name()).c_str());
  info_.rewrite_scheduled = true;  // a first base that failed is tried again
}

bool Aof::rewrite_limited() {
  // Redis's aofRewriteLimited: after 3 consecutive failures automatic and
  // scheduled rewrites wait 1, 2, 4 ... up to 60 minutes between tries
  // (BGREWRITEAOF itself is never limited).
  if (info_.consecutive_failures < 3) {
    limit_delay_min_ = 0;
    limit_next_s_ = 0;
    return false;
  }
  const int64_t now_s = e_.clock().now_ms() / 1000;
  if (limit_next_s_ != 0) {
    if (now_s < limit_next_s_) return true;
    limit_next_s_ = 0;
    return false;
  }
  limit_delay_min_ = limit_delay_min_ == 0 ? 1 : std::min<int64_t>(limit_delay_min_ * 2, 60);
  limit_next_s_ = now_s + limit_delay_min_ * 60;
  spdlog::warn(
      "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {} "
      "minutes",
      limit_delay_min_);
  return true;
}

void Aof::rewrite_done(Done status, int signal) {
  const pid_t pid = child_;
  child_ = -1;
  child_info_close(e_, ChildKind::kAof, status == Done::kOk);
  info_.last_rewrite_time_sec = (e_.clock().now_ms() - rewrite_start_ms_) / 1000;
  const std::string tmp = "temp-rewriteaof-bg-" + std::to_string(pid) + ".aof";
  if (status != Done::kOk) {
    // SIGUSR1 is kvd's own kill: not a failure, as in Redis.
    if (status != Done::kKilledByUs) {
      info_.last_bgrewrite_ok = false;
      ++info_.consecutive_failures;
    }
    ::unlink(file_path(tmp).c_str());
    if (status == Done::kFailed) {
      spdlog::warn("Background AOF rewrite terminated with error");
    } else {
      spdlog::warn("Background AOF rewrite terminated by signal {}", signal);
    }
    rewrite_failed_cleanup();
    return;
  }
  const auto& v = e_.config().v();
  Manifest next = *manifest_;
  const std::string base = next.new_base(v.appendfilename, v.aof_use_rdb_preamble);
  if (::rename(file_path(tmp).c_str(), file_path(base).c_str()) != 0) {
    spdlog::warn("Error trying to rename the temporary AOF base file {} into {}: {}", tmp, base,
                 std::strerror(errno));
    info_.last_bgrewrite_ok = false;
    ++info_.consecutive_failures;
    ::unlink(file_path(tmp).c_str());
    rewrite_failed_cleanup();
    return;
  }
  spdlog::info("Successfully renamed the temporary AOF base file {} into {}", tmp, base);
  if (state_ == State::kWaitRewrite) {
    const std::string incr = next.new_incr(v.appendfilename);
    if (::rename(file_path(temp_incr_name()).c_str(), file_path(incr).c_str()) != 0) {
      spdlog::warn("Error trying to rename the temporary AOF incr file {} into {}: {}",
                   file_path(temp_incr_name()), file_path(incr), std::strerror(errno));
      ::unlink(file_path(base).c_str());
      info_.last_bgrewrite_ok = false;
      ++info_.consecutive_failures;
      rewrite_failed_cleanup();
      return;
    }
    spdlog::info("Successfully renamed the temporary AOF incr file {} into {}", temp_incr_name(),
                 incr);
  }
  persist::fsync_dir(dir_path());
  // The incr files the base now covers become history; with the AOF off
  // that is all of them.
  next.retire_incrs_but_last();
  if (state_ == State::kOff && !next.incrs.empty()) {
    aof::AofFile f = next.incrs.back();
    f.type = 'h';
    next.history.insert(next.history.begin(), f);
    next.incrs.clear();
  }
  if (!persist_manifest(next).empty()) {
    info_.last_bgrewrite_ok = false;
    ::unlink(file_path(base).c_str());
    return;
  }
  *manifest_ = next;
  if (state_ == State::kWaitRewrite) {
    state_ = State::kOn;
    spdlog::info("AOF rewrite done, the new AOF file is on and working");
  }
  info_.last_bgrewrite_ok = true;
  info_.consecutive_failures = 0;
  info_.base_size = file_size(file_path(base));
  info_.current_size = info_.base_size + incr_size_;
  remove_history();
  spdlog::info("Background AOF rewrite finished successfully");
}

void Aof::cron() {
  if (child_ > 0) {
    int status = 0;
    pid_t r = ::waitpid(child_, &status, WNOHANG);
    if (r != child_) child_info_poll(e_);
    if (r == child_) {
      Done d = Done::kFailed;
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) d = Done::kOk;
      if (WIFSIGNALED(status))
        d = WTERMSIG(status) == SIGUSR1 ? Done::kKilledByUs : Done::kSignaled;
      rewrite_done(d, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
  }
  const auto& v = e_.config().v();
  if (child_ <= 0 && e_.snapshot_state().child <= 0) {
    if (info_.rewrite_scheduled) {
      if (!rewrite_limited()) start_rewrite();
    } else if (state_ == State::kOn && v.auto_aof_rewrite_percentage > 0 &&
               info_.current_size > v.auto_aof_rewrite_min_size) {
      const int64_t base = info_.base_size > 0 ? info_.base_size : 1;
      const int64_t growth = info_.current_size * 100 / base - 100;
      if (growth >= v.auto_aof_rewrite_percentage && !rewrite_limited()) {
        spdlog::info("Starting automatic rewriting of AOF on {}% growth", growth);
        start_rewrite();
      }
    }
  }
  if (state_ == State::kOff) return;
  // everysec's once-a-second fsync of what was written, a postponed
  // write, or a retry after a failed one.
  flush(false);
  if (int err = fsync_->last_error(); err != 0 && !write_failed_) {
    set_write_status(std::strerror(err));
    spdlog::warn("Error fsyncing the AOF file: {}", write_error_);
  } else if (write_failed_ && buf_.empty() && fsync_->last_error() == 0) {
    spdlog::warn("AOF write error looks solved, kvd can write again.");
    set_write_status("");
  }
}

void Aof::set_write_status(const std::string& error) {
  write_failed_ = !error.empty();
  write_error_ = error;
  info_.last_write_ok = !write_failed_;
  e_.set_write_denied(write_failed_ ? write_error() : std::string());
}

// ---------------------------------------------------------------- switches

void Aof::reread_manifest() {
  // The manifest on disk (from an earlier run with the AOF on) decides the
  // next sequence numbers; its files become history after the rewrite.
  manifest_ = std::make_unique<Manifest>();
  std::string text;
  if (persist::read_file(file_path(e_.config().v().appendfilename + ".manifest"), &text) == 0) {
    int line_no;
    std::string line;
    if (!aof::parse_manifest(text, manifest_.get(), &line_no, &line).empty())
      manifest_ = std::make_unique<Manifest>();
  }
}

std::string Aof::enable_at_runtime() {
  if (state_ != State::kOff) return "";
  reread_manifest();
  state_ = State::kWaitRewrite;
  info_.enabled = true;
  e_.propagation().add_sink(this);
  if (e_.snapshot_state().child > 0) {
    spdlog::warn(
        "AOF was enabled but there is already another background operation. An AOF background "
        "was scheduled to start when possible.");
    info_.rewrite_scheduled = true;
    return "";
  }
  std::string err = start_rewrite();
  if (!err.empty()) {
    spdlog::warn(
        "kvd needs to enable the AOF but can't trigger a background AOF rewrite operation. "
        "Check the above logs for more info about the error.");
    e_.propagation().remove_sink(this);
    state_ = State::kOff;
    info_.enabled = false;
    return err;
  }
  return "";
}

void Aof::disable_at_runtime() {
  if (state_ == State::kOff) return;
  flush(true);
  if (fd_ >= 0) {
    ::fdatasync(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  if (child_ > 0) {
    spdlog::info("Killing running AOF rewrite child: {}", child_);
    ::kill(child_, SIGUSR1);
    int status = 0;
    ::waitpid(child_, &status, 0);
    child_info_close(e_, ChildKind::kAof, false);
    ::unlink(file_path("temp-rewriteaof-bg-" + std::to_string(child_) + ".aof").c_str());
    child_ = -1;
  }
  fsync_->drain();
  if (state_ == State::kWaitRewrite) ::unlink(file_path(temp_incr_name()).c_str());
  e_.propagation().remove_sink(this);
  state_ = State::kOff;
  info_.enabled = false;
  info_.rewrite_scheduled = false;
  buf_.clear();
  set_write_status("");
}

void Aof::shutdown() {
  if (state_ == State::kOff) return;
  if (child_ > 0) {
    spdlog::warn("There is a child rewriting the AOF. Killing it!");
    ::kill(child_, SIGUSR1);
    int status = 0;
    ::waitpid(child_, &status, 0);
    child_info_close(e_, ChildKind::kAof, false);
    ::unlink(file_path("temp-rewriteaof-bg-" + std::to_string(child_) + ".aof").c_str());
    child_ = -1;
  }
  spdlog::info("Calling fsync() on the AOF file.");
  flush(true);
  if (fd_ >= 0) ::fdatasync(fd_);
  fsync_->drain();
}

std::string Aof::debug_reload() {
  if (state_ != State::kOff) {
    flush(true);
    if (fd_ >= 0) ::fdatasync(fd_);
  }
  for (int i = 0; i < e_.db_count(); ++i) e_.db(i).clear(nullptr);
  if (e_.functions_if_created()) e_.functions().flush();
  Manifest kept = *manifest_;
  bool found = false;
  std::string err = load(&found);
  if (!err.empty()) {
    *manifest_ = kept;
    return err;
  }
  return "";
}

AofInfo Aof::info() const {
  AofInfo i = info_;
  i.enabled = state_ != State::kOff;
  i.rewrite_in_progress = child_ > 0;
  i.current_rewrite_time_sec = child_ > 0 ? (e_.clock().now_ms() - rewrite_start_ms_) / 1000 : -1;
  i.buffer_length = buf_.size();
  i.pending_bio_fsync = fsync_->pending();
  return i;
}

}  // namespace kvd::persist
