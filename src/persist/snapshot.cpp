#include "kvd/persist/snapshot.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <random>
#include <sstream>
#include <vector>

#include "kvd/common/strings.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/functions.hpp"
#include "kvd/engine/memory.hpp"
#include "kvd/persist/aof.hpp"
#include "kvd/persist/child_info.hpp"
#include "kvd/persist/loading.hpp"

namespace kvd::persist {
namespace {

// Redis's REDIS_AUTOSYNC_BYTES.
constexpr uint64_t kAutosyncBytes = 4 * 1024 * 1024;

// "save 3600 1 300 100": (seconds, changes) pairs.
std::vector<std::pair<int64_t, int64_t>> save_points(const std::string& spec) {
  std::vector<std::pair<int64_t, int64_t>> out;
  std::istringstream in(spec);
  int64_t s = 0, c = 0;
  while (in >> s >> c) out.emplace_back(s, c);
  return out;
}

void finish_save(engine::Engine& e, bool ok, uint64_t dirty_covered, int64_t now_s) {
  SnapshotState& st = e.snapshot_state();
  st.last_save_attempt_s = now_s;
  st.last_bgsave_ok = ok;  // SAVE too: a good save lifts the MISCONF refusal
  if (!ok) return;
  st.last_save_s = now_s;
  ++st.saves;
  // Changes made while a child wrote are not in its snapshot: they stay.
  uint64_t& dirty = e.stats().dirty;
  dirty = dirty > dirty_covered ? dirty - dirty_covered : 0;
}

}  // namespace

namespace {

// The temp file of a child that was killed before it could rename it. The
// unlink of a big file can take long: the latency monitor times it.
void remove_child_temp_file(engine::Engine& e, pid_t child) {
  const std::string tmp = snapshot_path(e) + ".tmp-" + std::to_string(child);
  const int64_t t0 = e.clock().monotonic_us();
  ::unlink(tmp.c_str());
  e.note_latency("rdb-unlink-temp-file", (e.clock().monotonic_us() - t0) / 1000);
}

}  // namespace

std::string snapshot_path(const engine::Engine& e) {
  const auto& v = const_cast<engine::Engine&>(e).config().v();
  if (!v.dbfilename.empty() && v.dbfilename[0] == '/') return v.dbfilename;
  std::string dir = v.dir.empty() ? "." : v.dir;
  if (dir.back() != '/') dir += '/';
  return dir + v.dbfilename;
}

namespace {

// The whole keyspace as an RDB image through `w` (a file or a pipe).
bool write_image(engine::Engine& e, RdbFileWriter& w) {
  const int64_t key_save_delay = e.config().v().rdb_key_save_delay;
  const int64_t now = e.clock().now_ms();
  bool ok = w.begin(now, engine::allocator_used_memory());
  // As Redis 7: the replication ID and offset this image reflects, so a
  // restarted replica (or master) can continue with PSYNC.
  const engine::ReplicationState& repl = e.repl();
  ok = ok && w.repl_info(repl.stream_db() < 0 ? 0 : repl.stream_db(), repl.replid(),
                         repl.master_repl_offset());
  // Function libraries go first, as Redis writes them: its code alone.
  if (const engine::FunctionStore* fs = e.functions_if_created()) {
    for (const auto& [name, lib] : fs->libraries()) ok = ok && w.library(lib->code);
  }
  // As Redis: idle times under an LRU policy, counters under an LFU one.
  const engine::EvictionPolicy policy =
      engine::parse_eviction_policy(e.config().v().maxmemory_policy);
  const bool save_idle = policy == engine::EvictionPolicy::kAllKeysLru ||
                         policy == engine::EvictionPolicy::kVolatileLru;
  const bool save_freq = engine::is_lfu(policy);
  const engine::AccessTracking& tracking = e.access_tracking();
  for (int i = 0; ok && i < e.db_count(); ++i) {
    engine::Database& db = e.db(i);
    if (db.size() == 0) continue;
    ok = w.select_db(i, db.size(), db.expires());
    db.dict().for_each([&](engine::Entry* entry) {
      if (!ok) return;
      const int64_t expire = db.expire_of(entry);
      KeyAccess access;
      if (save_idle) access.idle_seconds = engine::AccessTracking::idle_ms(entry->lru, now) / 1000;
      if (save_freq) access.freq = tracking.frequency(entry->lru, now);
      ok = w.key(entry->key(), entry->value, expire == engine::kNoExpire ? -1 : expire, access);
      if (key_save_delay != 0) key_delay(key_save_delay);
      child_info_key_saved(e);
    });
  }
  return ok && w.finish();
}

bool write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    s.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// 40 random hex characters: the end mark of a diskless payload.
std::string eof_mark() {
  std::random_device rd;
  static const char kHex[] = "0123456789abcdef";
  std::string m(40, '0');
  for (char& c : m) c = kHex[rd() % 16];
  return m;
}

}  // namespace

std::string write_snapshot(engine::Engine& e, const std::string& path) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "Failed opening the temp RDB file " + tmp + ": " + std::strerror(errno);
  RdbFileWriter w(fd, e.config().v().rdbcompression);
  if (e.config().v().rdb_save_incremental_fsync) w.set_autosync(kAutosyncBytes);
  const bool ok = write_image(e, w);
  std::string err = ok ? "" : std::string("Write error saving DB on disk: ") + std::strerror(errno);
  if (ok && ::fsync(fd) != 0)
    err = std::string("fsync of the RDB file failed: ") + std::strerror(errno);
  ::close(fd);
  if (err.empty() && ::rename(tmp.c_str(), path.c_str()) != 0)
    err =
        "Error moving temp DB file on the final destination: " + std::string(std::strerror(errno));
  if (!err.empty()) ::unlink(tmp.c_str());
  return err;
}

std::string save_now(engine::Engine& e) {
  SnapshotState& st = e.snapshot_state();
  if (st.child > 0) return "ERR Background save already in progress";
  const uint64_t dirty = e.stats().dirty;
  std::string err = write_snapshot(e, snapshot_path(e));
  const int64_t now_s = e.clock().now_ms() / 1000;
  if (!err.empty()) {
    spdlog::warn("{}", err);
    finish_save(e, false, 0, now_s);
    return "ERR " + err;
  }
  spdlog::info("DB saved on disk");
  finish_save(e, true, dirty, now_s);
  return "";
}

std::string start_background_save(engine::Engine& e) {
  SnapshotState& st = e.snapshot_state();
  if (st.child > 0) return "ERR Background save already in progress";
  const int64_t t0 = e.clock().monotonic_us();
  child_info_open(e);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  child_info_after_fork(e, pid, parent);
  if (pid < 0) {
    st.last_bgsave_ok = false;
    return std::string("ERR Can't BGSAVE: fork failed: ") + std::strerror(errno);
  }
  if (pid == 0) {
    // The child: a copy-on-write image of the keyspace at this instant. It
    // writes and leaves without running any of the parent's exit handlers.
    if (auto* hooks = e.hooks()) hooks->in_forked_child("kvd-rdb-bgsave");
    std::string err = write_snapshot(e, snapshot_path(e));
    if (!err.empty()) spdlog::warn("Background saving failed: {}", err);
    if (err.empty()) child_info_final(e, ChildKind::kRdb);
    ::_exit(err.empty() ? 0 : 1);
  }
  st.latest_fork_usec = e.clock().monotonic_us() - t0;
  ++st.total_forks;
  e.note_latency("fork", st.latest_fork_usec / 1000);
  st.child = pid;
  st.child_start_ms = e.clock().now_ms();
  st.dirty_at_child_start = e.stats().dirty;
  spdlog::info("Background saving started by pid {}", pid);
  return "";
}

std::string start_socket_save(engine::Engine& e, int* read_fd) {
  SnapshotState& st = e.snapshot_state();
  if (st.child > 0) return "ERR Background save already in progress";
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return std::string("ERR Can't create the pipe for a diskless sync: ") + std::strerror(errno);
  const int64_t t0 = e.clock().monotonic_us();
  child_info_open(e);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  child_info_after_fork(e, pid, parent);
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return std::string("ERR Can't BGSAVE: fork failed: ") + std::strerror(errno);
  }
  if (pid == 0) {
    if (auto* hooks = e.hooks()) hooks->in_forked_child("kvd-rdb-to-slaves");
    ::close(fds[0]);
    // The replica knows the payload ends where the mark comes again.
    const std::string mark = eof_mark();
    RdbFileWriter w(fds[1], e.config().v().rdbcompression);
    bool ok =
        write_all(fds[1], "$EOF:" + mark + "\r\n") && write_image(e, w) && write_all(fds[1], mark);
    if (!ok) spdlog::warn("Diskless transfer failed: {}", std::strerror(errno));
    if (ok) child_info_final(e, ChildKind::kRdb);
    ::_exit(ok ? 0 : 1);
  }
  ::close(fds[1]);
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  *read_fd = fds[0];
  st.latest_fork_usec = e.clock().monotonic_us() - t0;
  ++st.total_forks;
  e.note_latency("fork", st.latest_fork_usec / 1000);
  st.child = pid;
  st.child_to_socket = true;
  st.child_start_ms = e.clock().now_ms();
  st.dirty_at_child_start = e.stats().dirty;
  spdlog::info("Background RDB transfer started by pid {}", pid);
  return "";
}

void snapshot_cron(engine::Engine& e) {
  SnapshotState& st = e.snapshot_state();
  const int64_t now_ms = e.clock().now_ms();
  if (st.child > 0) {
    int status = 0;
    pid_t r = ::waitpid(st.child, &status, WNOHANG);
    if (r != st.child) child_info_poll(e);
    if (r == st.child) {
      const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      child_info_close(e, ChildKind::kRdb, ok);
      if (st.child_to_socket) {
        // A diskless sync's child: the replication layer reads the result.
        st.child = -1;
        st.child_to_socket = false;
        st.last_socket_save_ok = ok;
        if (ok) {
          spdlog::info("Background RDB transfer terminated with success");
        } else if (WIFSIGNALED(status)) {
          spdlog::warn("Background transfer terminated by signal {}", WTERMSIG(status));
        } else {
          spdlog::warn("Background transfer error");
        }
        return;
      }
      st.last_bgsave_time_s = (now_ms - st.child_start_ms) / 1000;
      if (WIFSIGNALED(status)) remove_child_temp_file(e, st.child);
      st.child = -1;
      // SIGUSR1 is kvd's own kill (FLUSHALL): not a failed save, as in Redis.
      const bool ours = WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1;
      if (!ours) finish_save(e, ok, st.dirty_at_child_start, now_ms / 1000);
      if (ok) {
        spdlog::info("Background saving terminated with success");
      } else if (WIFSIGNALED(status)) {
        spdlog::warn("Background saving terminated by signal {}", WTERMSIG(status));
      } else {
        spdlog::warn("Background saving error");
      }
    }
    return;
  }
  // One child at a time: nothing starts while a rewrite child runs.
  if (const Aof* aof = Aof::find(e); aof && aof->info().rewrite_in_progress) return;
  if (st.bgsave_scheduled) {
    std::string err = start_background_save(e);
    if (err.empty()) st.bgsave_scheduled = false;
    return;
  }
  const uint64_t dirty = e.stats().dirty;
  if (dirty == 0) return;
  const int64_t now_s = now_ms / 1000;
  for (auto [seconds, changes] : save_points(e.config().v().save)) {
    // After a failed save, wait 5 s before trying again, as Redis does.
    if (dirty >= static_cast<uint64_t>(changes) && now_s - st.last_save_s >= seconds &&
        (st.last_bgsave_ok || now_s - st.last_save_attempt_s > 5)) {
      spdlog::info("{} changes in {} seconds. Saving...", changes, seconds);
      st.last_save_attempt_s = now_s;
      std::string err = start_background_save(e);
      if (!err.empty()) spdlog::warn("{}", err);
      return;
    }
  }
}

void kill_background_save(engine::Engine& e) {
  SnapshotState& st = e.snapshot_state();
  if (st.child <= 0) return;
  spdlog::info("Killing RDB child: {}", st.child);
  ::kill(st.child, SIGUSR1);  // cron reaps it and removes its temp file
}

std::string save_for_shutdown(engine::Engine& e, bool force_save, bool no_save) {
  SnapshotState& st = e.snapshot_state();
  if (st.child > 0) {
    // Its snapshot would be older than the one about to be written.
    ::kill(st.child, SIGKILL);
    int status = 0;
    ::waitpid(st.child, &status, 0);
    child_info_close(e, ChildKind::kRdb, false);
    remove_child_temp_file(e, st.child);
    st.child = -1;
    st.child_to_socket = false;
  }
  if (no_save) return "";
  if (!force_save && save_points(e.config().v().save).empty()) return "";
  spdlog::info("Saving the final RDB snapshot before exiting.");
  return save_now(e);
}

std::string load_snapshot(engine::Engine& e, const LoadOptions& opts) {
  return load_snapshot_file(e, snapshot_path(e), opts);
}

std::string load_snapshot_file(engine::Engine& e, const std::string& path,
                               const LoadOptions& opts) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return "";
    return std::string("Fatal error loading the DB: ") + std::strerror(errno) + ". Exiting.";
  }
  struct stat sb {};
  if (::fstat(fd, &sb) != 0 || sb.st_size == 0) {
    ::close(fd);
    return sb.st_size == 0 ? "" : "Can't stat " + path;
  }
  loading_add_total(e, static_cast<uint64_t>(sb.st_size));
  void* map = ::mmap(nullptr, static_cast<size_t>(sb.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return "Can't map " + path + ": " + std::strerror(errno);
  std::string err = load_snapshot_image(
      e, std::string_view(static_cast<const char*>(map), static_cast<size_t>(sb.st_size)), path,
      opts);
  ::munmap(map, static_cast<size_t>(sb.st_size));
  return err;
}

std::string load_snapshot_image(engine::Engine& e, std::string_view data, const std::string& path,
                                const LoadOptions& opts, size_t* consumed) {
  RdbLoadStats stats;
  stats.on_expired = opts.on_expired;
  const int64_t key_load_delay = e.config().v().key_load_delay;
  const int64_t t0 = e.clock().monotonic_us();
  std::string duplicate;
  uint64_t reported = 0;  // bytes told to the loading progress
  std::string err = load_rdb(
      data, decode_limits(e.config().v()), opts.keep_expired ? INT64_MIN : e.clock().now_ms(),
      [&](int db, std::string key, engine::Value v, int64_t expire_ms, const KeyAccess& access) {
        if (key_load_delay != 0) key_delay(key_load_delay);
        // Clients served here see the keys so far (as in Redis, LOADING
        // keeps them from reading them).
        loading_advance(e, stats.bytes_read - reported);
        reported = stats.bytes_read;
        if (db >= e.db_count()) return;  // more databases in the file than configured
        if (!opts.allow_duplicates && e.db(db).find_raw(key)) {
          if (duplicate.empty())
            duplicate = "RDB has duplicated key '" + key + "' in DB " + std::to_string(db);
          v.destroy();
          return;
        }
        engine::Entry* entry = e.db(db).set(key, std::move(v));
        if (expire_ms >= 0) e.db(db).set_expire(entry, expire_ms);
        e.access_tracking().restore(entry, e.clock().now_ms(), access.idle_seconds, access.freq);
      },
      &stats,
      [&](std::string code) {
        std::string err;
        if (e.functions().load(code, opts.allow_duplicates, 0, &err).empty()) return err;
        return std::string();
      },
      [&](std::string_view name, std::string_view value) {
        int64_t n = 0;
        if (name == "repl-id" && opts.repl_id && value.size() == 40) *opts.repl_id = value;
        if (name == "repl-offset" && opts.repl_offset && parse_int64(value, &n))
          *opts.repl_offset = n;
        if (name == "repl-stream-db" && opts.repl_stream_db && parse_int64(value, &n))
          *opts.repl_stream_db = static_cast<int>(n);
        if (name == "used-mem" && parse_int64(value, &n) && n > 0)
          e.snapshot_state().loading.rdb_used_mem = static_cast<uint64_t>(n);
      },
      consumed);
  loading_advance(e, (consumed && err.empty() ? *consumed : data.size()) - reported);
  if (err.empty()) err = duplicate;
  if (!err.empty()) {
    if (opts.clear_on_error) {
      for (int i = 0; i < e.db_count(); ++i) e.db(i).clear(nullptr);
      if (e.functions_if_created()) e.functions().flush();
    }
    return "Bad RDB file " + path + ": " + err;
  }
  SnapshotState& st = e.snapshot_state();
  st.last_load_keys_loaded = stats.keys_loaded;
  st.last_load_keys_expired = stats.keys_expired;
  spdlog::info("DB loaded from disk: {:.3f} seconds, {} keys",
               (e.clock().monotonic_us() - t0) / 1e6, stats.keys_loaded);
  return "";
}

}  // namespace kvd::persist
