#include "base_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kvd/engine/functions.hpp"
#include "kvd/persist/child_info.hpp"
#include "kvd/persist/dump_payload.hpp"
#include "kvd/persist/files.hpp"
#include "kvd/persist/snapshot.hpp"

namespace kvd::persist::aof {
namespace {

void append_command(std::string& out, std::initializer_list<std::string_view> argv) {
  out += '*';
  out += std::to_string(argv.size());
  out += "\r\n";
  for (std::string_view a : argv) {
    out += '$';
    out += std::to_string(a.size());
    out += "\r\n";
    out.append(a);
    out += "\r\n";
  }
}

// The dataset as commands. Each key is one RESTORE of its DUMP payload
// (with ABSTTL for its deadline): every type, streams with their groups
// included, in one command Redis and kvd both replay. Functions come first,
// as FUNCTION LOAD of each library's code.
std::string write_commands(engine::Engine& e, const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "Opening the temp file for AOF rewrite: " + std::string(std::strerror(errno));
  std::string buf;
  bool ok = true;
  // aof-rewrite-incremental-fsync: fdatasync every 4 MB (Redis's
  // REDIS_AUTOSYNC_BYTES), so the final fsync does not stall on a huge tail.
  const bool autosync = e.config().v().aof_rewrite_incremental_fsync;
  const int64_t key_save_delay = e.config().v().rdb_key_save_delay;
  size_t written = 0, synced_at = 0;
  auto drain = [&](bool all) {
    if (!ok || (!all && buf.size() < (1 << 20))) return;
    size_t off = 0;
    while (off < buf.size()) {
      ssize_t n = ::write(fd, buf.data() + off, buf.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ok = false;
        return;
      }
      off += static_cast<size_t>(n);
    }
    written += buf.size();
    buf.clear();
    if (autosync && written - synced_at >= (4u << 20)) {
      ::fdatasync(fd);
      synced_at = written;
    }
  };
  // A command base starts with the time it shows, as Redis's does.
  if (e.config().v().aof_timestamp_enabled)
    buf += "#TS:" + std::to_string(e.clock().now_ms() / 1000) + "\r\n";
  if (const engine::FunctionStore* fs = e.functions_if_created()) {
    for (const auto& [name, lib] : fs->libraries())
      append_command(buf, {"FUNCTION", "LOAD", lib->code});
  }
  const bool compress = e.config().v().rdbcompression;
  const int64_t now = e.clock().now_ms();
  for (int i = 0; i < e.db_count() && ok; ++i) {
    engine::Database& db = e.db(i);
    if (db.size() == 0) continue;
    append_command(buf, {"SELECT", std::to_string(i)});
    db.dict().for_each([&](engine::Entry* entry) {
      if (!ok) return;
      const int64_t expire = db.expire_of(entry);
      if (expire != engine::kNoExpire && expire <= now) return;
      const std::string payload = make_dump_payload(entry->value, compress);
      if (expire == engine::kNoExpire) {
        append_command(buf, {"RESTORE", entry->key(), "0", payload, "REPLACE"});
      } else {
        append_command(
            buf, {"RESTORE", entry->key(), std::to_string(expire), payload, "REPLACE", "ABSTTL"});
      }
      if (key_save_delay != 0) key_delay(key_save_delay);
      child_info_key_saved(e);
      drain(false);
    });
  }
  drain(true);
  std::string err =
      ok ? ""
         : "Write error writing append only file on disk: " + std::string(std::strerror(errno));
  if (ok && ::fsync(fd) != 0)
    err = "fsync of the AOF base failed: " + std::string(std::strerror(errno));
  ::close(fd);
  return err;
}

}  // namespace

std::string write_base(engine::Engine& e, const std::string& dir, const std::string& name,
                       bool rdb) {
  const std::string path = dir + "/" + name;
  std::string err;
  if (rdb) {
    err = write_snapshot(e, path);  // temp file, fsync, rename
  } else {
    const std::string tmp = dir + "/temp-" + name + "-" + std::to_string(::getpid());
    err = write_commands(e, tmp);
    if (err.empty() && ::rename(tmp.c_str(), path.c_str()) != 0)
      err = "Error moving temp append only file on the final destination: " +
            std::string(std::strerror(errno));
    if (!err.empty()) ::unlink(tmp.c_str());
  }
  if (err.empty()) fsync_dir(dir);
  return err;
}

}  // namespace kvd::persist::aof
