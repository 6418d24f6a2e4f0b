#include "loader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

#include "kvd/common/strings.hpp"
#include "kvd/persist/loading.hpp"
#include "kvd/persist/snapshot.hpp"
#include "kvd/protocol/output_buffer.hpp"
#include "kvd/protocol/reply_writer.hpp"

namespace kvd::persist::aof {
namespace {

// Reads the whole file. false with errno on a read error.
bool read_all(int fd, std::string* out) {
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) return true;
    out->append(buf, static_cast<size_t>(n));
  }
}

// One command of the file, parsed from `pos`. kShort: the file ended inside
// it; kBad: not RESP.
enum class Parse { kCommand, kAnnotation, kShort, kBad };

Parse parse_command(std::string_view data, size_t* pos, std::vector<std::string_view>* argv) {
  argv->clear();
  size_t p = *pos;
  auto line = [&](std::string_view* out) {
    size_t nl = data.find('\n', p);
    if (nl == std::string_view::npos) return false;
    *out = data.substr(p, nl - p);
    if (!out->empty() && out->back() == '\r') out->remove_suffix(1);
    p = nl + 1;
    return true;
  };
  std::string_view l;
  if (!line(&l)) return Parse::kShort;
  if (!l.empty() && l[0] == '#') {
    *pos = p;
    return Parse::kAnnotation;
  }
  if (l.empty() || l[0] != '*') return Parse::kBad;
  int64_t argc = std::atoll(std::string(l.substr(1)).c_str());
  if (argc < 1) return Parse::kBad;
  for (int64_t j = 0; j < argc; ++j) {
    if (!line(&l)) return Parse::kShort;
    if (l.empty() || l[0] != '$') return Parse::kBad;
    int64_t len = std::atoll(std::string(l.substr(1)).c_str());
    if (len < 0) return Parse::kBad;
    if (data.size() - p < static_cast<size_t>(len) + 2) return Parse::kShort;
    argv->push_back(data.substr(p, static_cast<size_t>(len)));
    p += static_cast<size_t>(len) + 2;
  }
  *pos = p;
  return Parse::kCommand;
}

}  // namespace

LoadStatus load_file(engine::Engine& e, const std::string& dir, const std::string& name) {
  const std::string path = dir + "/" + name;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int en = errno;
    struct stat sb {};
    if (::stat(path.c_str(), &sb) == 0 || errno != ENOENT) {
      spdlog::warn("Fatal error: can't open the append log file {} for reading: {}", name,
                   std::strerror(en));
      return LoadStatus::kOpenError;
    }
    spdlog::warn("The append log file {} doesn't exist: {}", name, std::strerror(en));
    return LoadStatus::kNotExist;
  }
  std::string data;
  const bool read_ok = read_all(fd, &data);
  ::close(fd);
  if (!read_ok) {
    spdlog::warn("Unrecoverable error reading the append only file {}: {}", name,
                 std::strerror(errno));
    return LoadStatus::kFailed;
  }
  if (data.empty()) return LoadStatus::kEmpty;
  loading_add_total(e, data.size());

  size_t pos = 0;
  if (data.compare(0, 5, "REDIS") == 0) {
    // An RDB image. Redis 7 bases end there; a pre-7.0 appendonly.aof
    // (moved in as the base by the upgrade) goes on with commands.
    spdlog::info("Reading RDB base file on AOF loading...");
    size_t consumed = 0;
    std::string err = load_snapshot_image(e, data, path, {}, &consumed);
    if (!err.empty()) {
      spdlog::warn("{}", err);
      spdlog::warn("Error reading the RDB base file {}, AOF loading aborted", name);
      return LoadStatus::kFailed;
    }
    if (consumed >= data.size()) return LoadStatus::kOk;
    spdlog::info("Reading the remaining AOF tail...");
    pos = consumed;
  }

  // Commands run as a client of their own; replies are dropped.
  engine::Client client;
  client.id = e.next_client_id();
  client.name = "";
  client.loader = true;
  protocol::OutputBuffer sink;
  protocol::ReplyWriter out(sink, 2);
  client.writer = &out;
  const bool load_truncated = e.config().v().aof_load_truncated;
  struct LoadingOff {
    engine::Engine& e;
    bool was;
    ~LoadingOff() { e.set_loading(was); }
  } loading_off{e, e.loading_dataset()};
  e.set_loading(true);
  size_t valid_up_to_reported = pos;  // told to the loading progress
  size_t valid_up_to = pos;           // a torn tail is cut after the RDB image, never inside
  size_t valid_before_multi = pos;
  bool in_multi = false;
  std::vector<std::string_view> argv;
  bool truncated = false;
  while (pos < data.size()) {
    Parse r = parse_command(data, &pos, &argv);
    if (r == Parse::kAnnotation) continue;
    if (r == Parse::kBad) {
      spdlog::warn(
          "Bad file format reading the append only file {}: make a backup of your AOF file, "
          "then use ./redis-check-aof --fix <filename.manifest>",
          name);
      return LoadStatus::kFailed;
    }
    if (r == Parse::kShort) {
      // A transaction cut short goes as a whole.
      if (in_multi) valid_up_to = valid_before_multi;
      truncated = true;
      break;
    }
    if (!e.commands().find(argv[0])) {
      spdlog::warn("Unknown command '{}' reading the append only file {}", argv[0], name);
      return LoadStatus::kFailed;
    }
    if (iequals(argv[0], "multi")) {
      valid_before_multi = valid_up_to;
      in_multi = true;
    } else if (iequals(argv[0], "exec")) {
      in_multi = false;
    }
    e.execute(client, engine::Args(argv.data(), argv.size()), out);
    sink.clear();
    loading_advance(e, pos - valid_up_to_reported);
    valid_up_to_reported = pos;
    valid_up_to = pos;
  }
  if (!truncated && in_multi) {
    spdlog::warn("Revert incomplete MULTI/EXEC transaction in AOF file {}", name);
    valid_up_to = valid_before_multi;
    truncated = true;
  }
  if (in_multi) {
    const std::string_view discard[] = {"DISCARD"};
    e.execute(client, engine::Args(discard, 1), out);
  }
  e.forget_client(client);
  if (!truncated) return LoadStatus::kOk;
  if (load_truncated) {
    spdlog::warn("!!! Warning: short read while loading the AOF file {}!!!", name);
    spdlog::warn("!!! Truncating the AOF {} at offset {} !!!", name, valid_up_to);
    if (::truncate(path.c_str(), static_cast<off_t>(valid_up_to)) != 0) {
      spdlog::warn("Error truncating the AOF file {}: {}", name, std::strerror(errno));
    } else {
      spdlog::warn("AOF {} loaded anyway because aof-load-truncated is enabled", name);
      return LoadStatus::kTruncated;
    }
  }
  spdlog::warn(
      "Unexpected end of file reading the append only file {}. You can: 1) Make a backup of "
      "your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively "
      "you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
      name);
  return LoadStatus::kFailed;
}

}  // namespace kvd::persist::aof
