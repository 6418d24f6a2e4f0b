// kvd: a Redis-compatible in-memory key-value daemon.
//
// Usage mirrors redis-server: `kvd [/path/to/kvd.conf] [--directive value ...]`.
// Directives given as flags override the file, exactly as redis-server does.

#include <signal.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

#include "kvd/commands/registry.hpp"
#include "kvd/common/version.hpp"
#include "kvd/engine/config.hpp"
#include "kvd/engine/memory.hpp"
#ifdef KVD_WITH_MIMALLOC
#include <mimalloc.h>
#endif
#ifdef KVD_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif
#if defined(__SANITIZE_ADDRESS__)
#define KVD_WITH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KVD_WITH_ASAN 1
#endif
#endif
#ifdef KVD_WITH_ASAN
// From <sanitizer/allocator_interface.h>, which not every compiler package
// installs; libasan exports it.
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif
#include "kvd/server/crash_report.hpp"
#include "kvd/server/logging.hpp"
#include "kvd/server/proc_title.hpp"
#include "kvd/server/process.hpp"
#include "kvd/server/server.hpp"
#include "kvd/server/supervision.hpp"

namespace {

#ifdef KVD_WITH_JEMALLOC
#define KVD_STRINGIFY_(x) #x
#define KVD_STRINGIFY(x) KVD_STRINGIFY_(x)

// Bytes jemalloc has handed out, refreshed by bumping its stats epoch: the
// same figure Redis reports as used_memory.
size_t jemalloc_allocated() {
  uint64_t epoch = 1;
  size_t len = sizeof epoch;
  mallctl("epoch", &epoch, &len, &epoch, len);
  size_t allocated = 0;
  len = sizeof allocated;
  if (mallctl("stats.allocated", &allocated, &len, nullptr, 0) != 0) return 0;
  // Freed blocks a thread cache still holds count as allocated there; Redis
  // counts what the program holds (its own zmalloc counter), so take them off.
  // Without this, evicting keys barely moves the figure until the caches
  // flush, and maxmemory overshoots by what they hold.
  size_t cached = 0;
  len = sizeof cached;
  if (mallctl("stats.arenas." KVD_STRINGIFY(MALLCTL_ARENAS_ALL) ".tcache_bytes", &cached, &len,
              nullptr, 0) == 0 &&
      cached < allocated)
    allocated -= cached;
  return allocated;
}

// jemalloc's allocated, active and resident bytes (INFO allocator_*), after
// an epoch bump so they are current.
bool jemalloc_stats(kvd::engine::AllocatorStats* out) {
  uint64_t epoch = 1;
  size_t len = sizeof epoch;
  mallctl("epoch", &epoch, &len, &epoch, len);
  len = sizeof(size_t);
  return mallctl("stats.allocated", &out->allocated, &len, nullptr, 0) == 0 &&
         mallctl("stats.active", &out->active, &len, nullptr, 0) == 0 &&
         mallctl("stats.resident", &out->resident, &len, nullptr, 0) == 0;
}

// This thread's allocated and freed byte counters, which jemalloc keeps per
// thread: reading them costs two loads, so maxmemory can be checked before
// every command (engine::MemoryGauge).
bool jemalloc_thread_net(int64_t* net) {
  thread_local uint64_t* allocated = nullptr;
  thread_local uint64_t* deallocated = nullptr;
  if (!allocated) {
    size_t len = sizeof allocated;
    if (mallctl("thread.allocatedp", &allocated, &len, nullptr, 0) != 0 ||
        mallctl("thread.deallocatedp", &deallocated, &len, nullptr, 0) != 0) {
      allocated = nullptr;
      return false;
    }
  }
  *net = static_cast<int64_t>(*allocated - *deallocated);
  return true;
}

// jemalloc-bg-thread, as Redis sets it: jemalloc's background thread returns
// freed pages to the OS on its decay schedule (about 10 s) even while the
// server is idle. Without it, purging waits for the next allocations, so the
// buffers idle connections give back stay in the RSS.
// An I/O thread whose connections went idle: its cache goes back to its
// arena, and the arena's free pages to the OS now rather than over the
// 10 s decay (an I/O thread's arena holds connection buffers, not data).
void jemalloc_release_thread_memory() {
  mallctl("thread.tcache.flush", nullptr, nullptr, nullptr, 0);
  unsigned arena = 0;
  size_t len = sizeof arena;
  if (mallctl("thread.arena", &arena, &len, nullptr, 0) != 0) return;
  const std::string purge = "arena." + std::to_string(arena) + ".purge";
  mallctl(purge.c_str(), nullptr, nullptr, nullptr, 0);
}

// DEBUG MALLCTL: a control's value as an integer. Controls are 8, 4 or 1
// bytes wide (size_t, unsigned, bool) and mallctl says EINVAL for a wrong
// width, so the widths are tried from the widest down.
std::string jemalloc_integer(const std::string& name, const int64_t* write, int64_t* old) {
  for (size_t width : {size_t{8}, size_t{4}, size_t{1}}) {
    unsigned char before[8] = {}, after[8] = {};
    if (write) std::memcpy(after, write, width);  // little-endian: the low bytes
    size_t len = width;
    int rc = mallctl(name.c_str(), before, &len, write ? after : nullptr, write ? width : 0);
    if (rc == EPERM && write) {  // write-only: just write
      rc = mallctl(name.c_str(), nullptr, nullptr, after, width);
      if (rc == 0) return "OK";
    }
    if (rc == EINVAL) continue;
    if (rc != 0) return std::strerror(rc);
    int64_t v = 0;
    std::memcpy(&v, before, width);
    *old = width == 1 ? static_cast<int64_t>(before[0]) : v;
    return "";
  }
  return std::strerror(EINVAL);
}

// DEBUG MALLCTL-STR: a control whose value is a string.
std::string jemalloc_text(const std::string& name, const std::string* write, std::string* old,
                          bool* wrote) {
  const char* before = nullptr;
  size_t len = sizeof before;
  const int read_rc = mallctl(name.c_str(), &before, &len, nullptr, 0);
  if (read_rc != 0 && !(read_rc == EPERM && write)) return std::strerror(read_rc);
  int write_rc = 0;
  if (write) {
    const char* value = write->c_str();
    const bool none = *write == "VOID";
    write_rc =
        mallctl(name.c_str(), nullptr, nullptr, none ? nullptr : &value, none ? 0 : sizeof value);
  }
  if (read_rc == 0) {
    *old = before ? before : "";
    return "";
  }
  if (write_rc != 0) return std::strerror(write_rc);
  *wrote = true;
  return "";
}

void set_jemalloc_bg_thread(bool on) {
  mallctl("background_thread", nullptr, nullptr, &on, sizeof on);
}
#endif

#ifdef KVD_WITH_ASAN
// AddressSanitizer's allocator replaces malloc (glibc's counters read zero):
// its own count keeps used_memory and maxmemory meaningful in sanitizer builds.
size_t asan_allocated() {
  return __sanitizer_get_current_allocated_bytes();
}
#endif

#ifdef KVD_WITH_MIMALLOC
// mimalloc replaces malloc, so glibc's counters see nothing: report the memory
// mimalloc has committed (what the process really holds for the heap).
size_t mimalloc_committed() {
  size_t elapsed, user, sys, rss, peak_rss, commit, peak_commit, faults;
  mi_process_info(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
  return commit;
}
#endif

// Turns `--port 7000 --save "" --bind 127.0.0.1 ::1` into config lines, by
// redis-server's rules: an argument right after a lone `--name` is its value
// even when it starts with `--` (`--proc-title-template --my--title`), an
// argument holding a name and a value (`"--port 7000"`) is a whole line, and
// `--save` followed by another `--name` or by nothing means `save ""`.
std::string flags_to_config(const std::vector<std::string>& args) {
  std::string text;
  bool value_taken = true;  // the last directive has its value: a `--` starts a new one
  for (size_t j = 0; j < args.size(); ++j) {
    const std::string& a = args[j];
    if (value_taken && a.size() > 2 && a.compare(0, 2, "--") == 0) {
      if (!text.empty()) text += "\n";
      text += a.substr(2);
      const bool has_value =
          a.find_first_of(" \t") != std::string::npos &&
          a.find_first_not_of(" \t", a.find_first_of(" \t")) != std::string::npos;
      value_taken = has_value;
      if (!has_value && strcasecmp(a.c_str(), "--save") == 0 &&
          (j + 1 == args.size() || args[j + 1].compare(0, 2, "--") == 0)) {
        text += " \"\"";
        value_taken = true;
      }
      continue;
    }
    // Words before any --name begin the first line, as redis-server reads
    // `kvd conf loglevel verbose` ("wrong usage that we support anyway").
    // Quote every value so spaces and empty strings survive the line split.
    std::string quoted = text.empty() ? "\"" : " \"";
    for (char c : a) {
      if (c == '"' || c == '\\') quoted.push_back('\\');
      quoted.push_back(c);
    }
    text += quoted + "\"";
    value_taken = true;
  }
  return text;
}

kvd::server::SyslogOptions syslog_options(const kvd::engine::Config& config) {
  kvd::server::SyslogOptions o;
  o.enabled = config.get("syslog-enabled").value_or("no") == "yes";
  o.ident = config.get("syslog-ident").value_or("redis");
  o.facility = config.get("syslog-facility").value_or("local0");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  // First: it moves the environment and copies argv before anything reads them.
  kvd::server::init_proc_title(argc, argv);
  CLI::App app{"kvd: a Redis-compatible in-memory key-value daemon"};
  app.footer(
      "Any redis.conf directive can be given as a flag and overrides the file, e.g.\n"
      "  kvd conf/kvd.conf --port 7000 --loglevel verbose\n"
      "  kvd --port 6380 --bind 127.0.0.1 --requirepass secret");
  std::string config_path;
  bool show_version = false;
  app.add_flag("-v,--version", show_version, "Print the version and exit");
  app.add_option("config", config_path, "Path to a redis.conf-style configuration file");
  // CLI11 parses the program's own options and the config path; everything from
  // the first other `--directive` on is configuration, as redis-server takes it.
  // What follows the config file is configuration too, --name or not.
  int split = 1;
  bool have_config = false;
  while (split < argc) {
    std::string a = argv[split];
    bool own = a == "-h" || a == "--help" || a == "-v" || a == "--version";
    if (!own && a.size() > 2 && a.compare(0, 2, "--") == 0) break;
    if (!own && have_config) break;
    if (!own) have_config = true;
    ++split;
  }
  std::vector<std::string> directives(argv + split, argv + argc);
  try {
    app.parse(split, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (show_version) {
    std::cout << "kvd v=" << kvd::kVersion << " redis_compat=" << kvd::kRedisCompatVersion
              << std::endl;
    return 0;
  }

  kvd::engine::Config config;
  const kvd::engine::CommandTable known_commands = kvd::commands::all_commands();
  config.command_exists = [&known_commands](std::string_view name) {
    return known_commands.find(name) != nullptr;
  };
  if (!config_path.empty()) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(config_path, ec);
    config.config_file = ec ? config_path : abs.string();
    std::string err = config.load_file(config_path);
    if (!err.empty()) {
      std::cerr << err << std::endl;
      return 1;
    }
  }
  std::string flag_text = flags_to_config(directives);
  if (!flag_text.empty()) {
    std::string err = config.load_text(flag_text, "(command line)");
    if (!err.empty()) {
      std::cerr << err << std::endl;
      return 1;
    }
  }

  const auto& v = config.v();
  // Relative ones are in `dir`, as redis-server has them.
  const std::string logfile = kvd::server::path_in_dir(v.dir, v.logfile);
  const std::string pidfile = kvd::server::path_in_dir(v.dir, v.pidfile);
  std::string log_error = kvd::server::init_logging(logfile, v.loglevel, syslog_options(config));
  if (!log_error.empty()) {
    std::cerr << log_error << std::endl;
    return 1;
  }
  // As Redis: a supervised server stays in the foreground (its supervisor
  // tracks this pid), whatever `daemonize` says.
  const bool supervised = kvd::server::start_supervision(config.get("supervised").value_or("no")) !=
                          kvd::server::SupervisedMode::kNone;
  // Forking must happen before any thread exists (the engine starts one).
  if (v.daemonize && !supervised && !kvd::server::daemonize()) {
    spdlog::error("daemonize failed: {}", strerror(errno));
    return 1;
  }
  kvd::server::set_log_main_pid();
  signal(SIGPIPE, SIG_IGN);
  // Until the loop watches it (log reopening), a SIGHUP must not end us.
  signal(SIGHUP, SIG_IGN);
#ifdef KVD_WITH_ASAN
  kvd::engine::set_allocator_probe("libc", asan_allocated);
#endif
#ifdef KVD_WITH_MIMALLOC
  kvd::engine::set_allocator_probe("mimalloc", mimalloc_committed, false);
#endif
#ifdef KVD_WITH_JEMALLOC
  kvd::engine::set_allocator_probe("jemalloc-5.3.0", jemalloc_allocated);
  kvd::engine::set_thread_net_probe(jemalloc_thread_net);
  kvd::engine::set_allocator_stats_probe(jemalloc_stats);
  kvd::engine::set_thread_memory_release(jemalloc_release_thread_memory);
  kvd::engine::set_allocator_controls({jemalloc_integer, jemalloc_text});
  // After daemonize: the thread must not be lost to the fork.
  set_jemalloc_bg_thread(config.get("jemalloc-bg-thread").value_or("yes") == "yes");
  config.on_change("jemalloc-bg-thread", [&config] {
    set_jemalloc_bg_thread(config.get("jemalloc-bg-thread").value_or("yes") == "yes");
  });
#endif
#ifndef KVD_WITH_ASAN
  // Under AddressSanitizer its own report on these signals says more.
  if (config.get("crash-log-enabled").value_or("yes") == "yes")
    kvd::server::install_crash_report(logfile);
#endif

  std::string executable;
  {
    std::error_code ec;
    auto p = std::filesystem::canonical("/proc/self/exe", ec);
    executable = ec ? std::string(argv[0]) : p.string();
  }
  // The lines redis-server starts with, with kvd's name and version.
  spdlog::warn("oO0OoO0OoO0Oo kvd is starting oO0OoO0OoO0Oo");
  spdlog::warn("kvd version={}, redis_version={}, bits={}, pid={}, just started", kvd::kVersion,
               kvd::kRedisCompatVersion, sizeof(long) * 8, getpid());
  if (argc == 1) {
    spdlog::warn(
        "Warning: no config file specified, using the default config. In order to "
        "specify a config file use {} /path/to/kvd.conf",
        argv[0]);
  } else {
    spdlog::warn("Configuration loaded");
  }
  if (config.get("cluster-enabled") == "yes") {
    spdlog::warn("kvd has no cluster mode: cluster-enabled is ignored, serving standalone.");
  }

  // Like redis-server: make room for maxclients plus our own descriptors,
  // or lower maxclients to what the descriptor limit allows.
  {
    const int64_t fitted = kvd::server::fit_maxclients_to_fd_limit(v.maxclients);
    if (fitted < 0) return 1;
    config.v().maxclients = fitted;
  }

  kvd::server::Server server(config, executable);
  if (!server.listen()) return 1;
  server.apply_proc_title(nullptr);
  if (!pidfile.empty() && !kvd::server::write_pidfile(pidfile)) {
    spdlog::warn("Failed to write PID file: {}", strerror(errno));
  }
  kvd::server::log_banner(v.always_show_logo, static_cast<long>(v.port));
  int rc = server.run();
  kvd::server::remove_pidfile(pidfile);
  // A failed start ends on its reason, as redis-server's does.
  if (rc == 0) spdlog::warn("kvd is now ready to exit, bye bye...");
  return rc;
}
