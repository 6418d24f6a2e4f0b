#include "kvd/engine/config.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "config_param.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/common/version.hpp"
#include "kvd/engine/pubsub.hpp"
#include "kvd/protocol/split_args.hpp"

namespace kvd::engine {

namespace {

std::string join(const std::vector<std::string>& v, const char* sep = " ") {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += sep;
    s += v[i];
  }
  return s;
}

std::string format_memory_limit(const OutputLimit& l) {
  return int_to_string(l.hard) + " " + int_to_string(l.soft) + " " + int_to_string(l.soft_seconds);
}

}  // namespace

std::string format_percentile(double p) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%f", p);
  std::string f = buf;
  if (f.find('.') != std::string::npos) {
    f.erase(f.find_last_not_of('0') + 1);
    if (f.back() == '.') f.pop_back();
  }
  return f;
}

Config::Config() {
  register_all();
  for (auto& p : params_) p->default_value = p->get();
}

Config::~Config() = default;

void Config::add(std::unique_ptr<Param> p) {
  by_name_[p->name] = p.get();
  if (!p->alias.empty()) by_name_[p->alias] = p.get();
  params_.push_back(std::move(p));
}

Config::Param* Config::find(std::string_view name) {
  auto it = by_name_.find(to_lower(name));
  return it == by_name_.end() ? nullptr : it->second;
}

const Config::Param* Config::find(std::string_view name) const {
  auto it = by_name_.find(to_lower(name));
  return it == by_name_.end() ? nullptr : it->second;
}

bool Config::exists(std::string_view name) const {
  return find(name) != nullptr;
}

bool Config::is_mutable(std::string_view name) const {
  const Param* p = find(name);
  return p && p->is_mutable;
}

bool Config::is_protected(std::string_view name) const {
  const Param* p = find(name);
  return p && p->is_protected;
}

bool protected_action_allowed(std::string_view setting, bool local_client) {
  return setting == "yes" || (setting == "local" && local_client);
}

void Config::register_all() {
  auto boolean = [this](const char* name, bool* field, bool mut = true) {
    auto p = std::make_unique<Param>();
    p->name = name;
    p->is_mutable = mut;
    p->get = [field] { return std::string(*field ? "yes" : "no"); };
    p->set = [field](const std::vector<std::string>& a) -> std::string {
      if (iequals(a[0], "yes"))
        *field = true;
      else if (iequals(a[0], "no"))
        *field = false;
      else
        return "argument must be 'yes' or 'no'";
      return "";
    };
    add(std::move(p));
  };
  auto integer = [this](const char* name, int64_t* field, int64_t lo, int64_t hi, bool mut = true) {
    auto p = std::make_unique<Param>();
    p->name = name;
    p->is_mutable = mut;
    p->get = [field] { return int_to_string(*field); };
    p->set = [field, lo, hi](const std::vector<std::string>& a) -> std::string {
      int64_t v;
      if (!parse_int64(a[0], &v)) return "argument couldn't be parsed into an integer";
      if (v < lo || v > hi) {
        return "argument must be between " + int_to_string(lo) + " and " + int_to_string(hi) +
               " inclusive";
      }
      *field = v;
      return "";
    };
    add(std::move(p));
  };
  auto memory = [this](const char* name, int64_t* field, int64_t lo, int64_t hi) {
    auto p = std::make_unique<Param>();
    p->name = name;
    p->get = [field] { return int_to_string(*field); };
    p->set = [field, lo, hi](const std::vector<std::string>& a) -> std::string {
      int64_t v;
      if (!parse_memory(a[0], &v)) return "argument must be a memory value";
      if (v < lo || v > hi) {
        return "argument must be between " + int_to_string(lo) + " and " + int_to_string(hi) +
               " inclusive";
      }
      *field = v;
      return "";
    };
    add(std::move(p));
  };
  auto string = [this](const char* name, std::string* field, bool mut = true) {
    auto p = std::make_unique<Param>();
    p->name = name;
    p->is_mutable = mut;
    p->get = [field] { return *field; };
    p->set = [field](const std::vector<std::string>& a) -> std::string {
      *field = a[0];
      return "";
    };
    add(std::move(p));
  };
  auto enumeration = [this](const char* name, std::string* field, std::vector<std::string> allowed,
                            bool mut = true) {
    auto p = std::make_unique<Param>();
    p->name = name;
    p->is_mutable = mut;
    p->get = [field] { return *field; };
    p->set = [field, allowed](const std::vector<std::string>& a) -> std::string {
      for (const auto& ok : allowed) {
        if (iequals(a[0], ok)) {
          *field = ok;
          return "";
        }
      }
      return "argument(s) must be one of the following: " + join(allowed, ", ");
    };
    add(std::move(p));
  };

  ConfigValues& v = values_;
  {
    auto p = std::make_unique<Param>();
    p->name = "bind";
    p->max_args = 16;
    p->get = [&v] { return join(v.bind); };
    p->set = [&v](const std::vector<std::string>& a) -> std::string {
      std::vector<std::string> addrs;
      for (const auto& s : a) {
        for (auto& part : protocol::split_args(s).value_or(std::vector<std::string>{})) {
          addrs.push_back(part);
        }
      }
      if (addrs.empty()) return "Too many bind addresses specified.";
      v.bind = addrs;
      return "";
    };
    add(std::move(p));
  }
  integer("port", &v.port, 0, 65535);
  integer("tcp-backlog", &v.tcp_backlog, 0, INT_MAX, false);
  integer("maxclients", &v.maxclients, 1, UINT32_MAX);
  integer("timeout", &v.timeout, 0, INT_MAX);
  integer("tcp-keepalive", &v.tcp_keepalive, 0, INT_MAX);
  string("unixsocket", &v.unixsocket, false);
  {
    auto p = std::make_unique<Param>();
    p->name = "unixsocketperm";
    p->is_mutable = false;
    p->get = [&v] {
      char buf[16];
      snprintf(buf, sizeof buf, "%lo", static_cast<long>(v.unixsocketperm));
      return std::string(buf);
    };
    p->set = [&v](const std::vector<std::string>& a) -> std::string {
      char* end;
      long n = strtol(a[0].c_str(), &end, 8);
      if (*end || n < 0 || n > 0777) return "argument couldn't be parsed into an integer";
      v.unixsocketperm = n;
      return "";
    };
    add(std::move(p));
  }
  boolean("daemonize", &v.daemonize, false);
  string("pidfile", &v.pidfile, false);
  string("logfile", &v.logfile, false);
  enumeration("loglevel", &v.loglevel, {"debug", "verbose", "notice", "warning"});
  string("requirepass", &v.requirepass);
  boolean("protected-mode", &v.protected_mode);
  memory("proto-max-bulk-len", &v.proto_max_bulk_len, 1024 * 1024, LLONG_MAX);
  memory("client-query-buffer-limit", &v.client_query_buffer_limit, 1024 * 1024, LLONG_MAX);
  {
    auto p = std::make_unique<Param>();
    p->name = "client-output-buffer-limit";
    p->max_args = 12;  // up to three classes on one line
    p->get = [&v] {
      return "normal " + format_memory_limit(v.obuf_normal) + " slave " +
             format_memory_limit(v.obuf_replica) + " pubsub " + format_memory_limit(v.obuf_pubsub);
    };
    p->set = [&v](const std::vector<std::string>& a) -> std::string {
      std::vector<std::string> t;
      for (const auto& s : a) {
        for (auto& part : protocol::split_args(s).value_or(std::vector<std::string>{})) {
          t.push_back(part);
        }
      }
      if (t.empty() || t.size() % 4 != 0)
        return "Wrong number of arguments in buffer limit configuration.";
      ConfigValues copy = v;
      for (size_t i = 0; i < t.size(); i += 4) {
        OutputLimit* target;
        if (iequals(t[i], "normal"))
          target = &copy.obuf_normal;
        else if (iequals(t[i], "replica") || iequals(t[i], "slave"))
          target = &copy.obuf_replica;
        else if (iequals(t[i], "pubsub"))
          target = &copy.obuf_pubsub;
        else
          return "Invalid client class specified in buffer limit configuration.";
        int64_t hard, soft, secs;
        if (!parse_memory(t[i + 1], &hard) || !parse_memory(t[i + 2], &soft) ||
            !parse_int64(t[i + 3], &secs) || hard < 0 || soft < 0 || secs < 0) {
          return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        }
        *target = OutputLimit{hard, soft, secs};
      }
      v.obuf_normal = copy.obuf_normal;
      v.obuf_replica = copy.obuf_replica;
      v.obuf_pubsub = copy.obuf_pubsub;
      return "";
    };
    add(std::move(p));
  }
  {
    // Like Redis: any non-negative value is accepted and clamped to 1..500.
    auto p = std::make_unique<Param>();
    p->name = "hz";
    p->get = [&v] { return int_to_string(v.hz); };
    p->set = [&v](const std::vector<std::string>& a) -> std::string {
      int64_t n;
      if (!parse_int64(a[0], &n)) return "argument couldn't be parsed into an integer";
      if (n < 0 || n > INT_MAX) return "argument must be between 0 and 2147483647 inclusive";
      v.hz = n < 1 ? 1 : n > 500 ? 500 : n;
      return "";
    };
    add(std::move(p));
  }
  integer("databases", &v.databases, 1, INT_MAX, false);
  boolean("activerehashing", &v.activerehashing);
  memory("maxmemory", &v.maxmemory, 0, LLONG_MAX);
  enumeration("maxmemory-policy", &v.maxmemory_policy,
              {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru",
               "allkeys-lfu", "allkeys-random", "noeviction"});
  integer("maxmemory-samples", &v.maxmemory_samples, 1, 64);
  integer("maxmemory-eviction-tenacity", &v.maxmemory_eviction_tenacity, 0, 100);
  {
    // Redis's range; the main thread counts as one of the N.
    auto p = std::make_unique<Param>();
    p->name = "io-threads";
    p->is_mutable = false;
    p->get = [&v] { return int_to_string(v.io_threads); };
    p->set = [&v](const std::vector<std::string>& a) -> std::string {
      int64_t n;
      if (!parse_int64(a[0], &n)) return "argument couldn't be parsed into an integer";
      if (n < 1 || n > 128) return "argument must be between 1 and 128 inclusive";
      v.io_threads = n;
      return "";
    };
    add(std::move(p));
  }
  boolean("io-threads-do-reads", &v.io_threads_do_reads, false);
  boolean("io-uring", &v.io_uring, false);
  // kvd's own: not in CONFIG GET *, which lists redis-server's names exactly.
  params_.back()->hidden = true;
  boolean("lazyfree-lazy-user-del", &v.lazyfree_lazy_user_del);
  boolean("lazyfree-lazy-user-flush", &v.lazyfree_lazy_user_flush);
  boolean("lazyfree-lazy-eviction", &v.lazyfree_lazy_eviction);
  string("dir", &v.dir);
  params_.back()->is_protected = true;
  // Redis changes into `dir` and reports the working directory: the same
  // absolute path here, and a directory that is not there is refused.
  params_.back()->get = [&v] {
    char* real = ::realpath(v.dir.empty() ? "." : v.dir.c_str(), nullptr);
    if (!real) return v.dir;
    std::string abs = real;
    std::free(real);
    return abs;
  };
  params_.back()->set = [&v](const std::vector<std::string>& a) -> std::string {
    struct stat st {};
    if (::stat(a[0].c_str(), &st) != 0) return std::strerror(errno);
    if (!S_ISDIR(st.st_mode)) return std::strerror(ENOTDIR);
    v.dir = a[0];
    return "";
  };
  string("dbfilename", &v.dbfilename);
  params_.back()->is_protected = true;
  {
    // Save points, read by persist::snapshot_cron.
    auto p = std::make_unique<Param>();
    p->name = "save";
    p->min_args = 0;  // a bare "save" line, like save "", means no save points
    p->max_args = 64;
    p->get = [&v] { return v.save; };
    p->set = [&v](const std::vector<std::string>& args) -> std::string {
      // CONFIG SET gives the points as one argument ("3600 1 300 100").
      std::vector<std::string> a = args;
      if (a.size() == 1) {
        std::istringstream words(a[0]);
        a.clear();
        for (std::string w; words >> w;) a.push_back(w);
      }
      // `save ""` (one empty argument) means no save points, like a bare save.
      const bool none = a.empty();
      if (!none) {
        if (a.size() % 2 != 0) return "Invalid save parameters";
        for (size_t j = 0; j < a.size(); ++j) {
          int64_t n = 0;
          if (!parse_int64(a[j], &n) || n < (j % 2 == 0 ? 1 : 0)) return "Invalid save parameters";
        }
      }
      v.save = none ? "" : join(a);
      return "";
    };
    add(std::move(p));
  }
  {
    auto p = std::make_unique<Param>();
    p->name = "appendonly";
    p->get = [&v] { return std::string(v.appendonly ? "yes" : "no"); };
    p->set = [&v](const std::vector<std::string>& a) -> std::string {
      if (iequals(a[0], "no")) {
        v.appendonly = false;
        return "";
      }
      if (iequals(a[0], "yes")) {
        v.appendonly = true;
        return "";
      }
      return "argument must be 'yes' or 'no'";
    };
    add(std::move(p));
  }
  // The AOF (persist/aof.cpp); appendonly's runtime switch is the AOF's
  // listener on "appendonly".
  enumeration("appendfsync", &v.appendfsync, {"everysec", "always", "no"});
  boolean("no-appendfsync-on-rewrite", &v.no_appendfsync_on_rewrite);
  for (auto [name, field, what] : {std::tuple{"appendfilename", &v.appendfilename, "filename"},
                                   std::tuple{"appenddirname", &v.appenddirname, "dirname"}}) {
    auto p = std::make_unique<Param>();
    p->name = name;
    p->is_mutable = false;
    p->get = [field = field] { return *field; };
    p->set = [field = field, name = std::string(name),
              what = std::string(what)](const std::vector<std::string>& a) -> std::string {
      if (a[0].empty()) return name + " can't be empty";
      if (a[0].find('/') != std::string::npos || a[0].find('\\') != std::string::npos)
        return name + " can't be a path, just a " + what;
      *field = a[0];
      return "";
    };
    add(std::move(p));
  }
  integer("auto-aof-rewrite-percentage", &v.auto_aof_rewrite_percentage, 0, INT_MAX);
  memory("auto-aof-rewrite-min-size", &v.auto_aof_rewrite_min_size, 0, LLONG_MAX);
  boolean("aof-load-truncated", &v.aof_load_truncated);
  boolean("aof-use-rdb-preamble", &v.aof_use_rdb_preamble);
  boolean("aof-timestamp-enabled", &v.aof_timestamp_enabled);
  boolean("aof-disable-auto-gc", &v.aof_disable_auto_gc);
  boolean("aof-rewrite-incremental-fsync", &v.aof_rewrite_incremental_fsync);
  boolean("rdb-save-incremental-fsync", &v.rdb_save_incremental_fsync);
  boolean("stop-writes-on-bgsave-error", &v.stop_writes_on_bgsave_error);
  for (auto [name, field, lo] :
       {std::tuple{"rdb-key-save-delay", &v.rdb_key_save_delay, int64_t{INT_MIN}},
        std::tuple{"key-load-delay", &v.key_load_delay, int64_t{INT_MIN}},
        std::tuple{"loading-process-events-interval-bytes",
                   &v.loading_process_events_interval_bytes, int64_t{1024}}}) {
    integer(name, field, lo, INT_MAX);
    params_.back()->hidden = true;  // testing knobs, as in Redis
  }
  boolean("rdbcompression", &v.rdbcompression);
  enumeration("sanitize-dump-payload", &v.sanitize_dump_payload, {"no", "yes", "clients"});
  integer("lfu-log-factor", &v.lfu_log_factor, 0, INT_MAX);
  integer("lfu-decay-time", &v.lfu_decay_time, 0, INT_MAX);
  integer("slowlog-log-slower-than", &v.slowlog_log_slower_than, -1, LLONG_MAX);
  integer("slowlog-max-len", &v.slowlog_max_len, 0, LONG_MAX);
  integer("tracking-table-max-keys", &v.tracking_table_max_keys, 0, LONG_MAX);
  integer("busy-reply-threshold", &v.busy_reply_threshold, 0, LONG_MAX);
  params_.back()->alias = "lua-time-limit";
  by_name_[params_.back()->alias] = params_.back().get();
  boolean("latency-tracking", &v.latency_tracking);
  integer("latency-monitor-threshold", &v.latency_monitor_threshold, 0, LLONG_MAX);
  integer("loop-stall-threshold-ms", &v.loop_stall_threshold_ms, 0, LLONG_MAX);
  // kvd's own: not in CONFIG GET *, which lists redis-server's names exactly
  // (tools compare the two); CONFIG GET by its name and CONFIG SET work.
  params_.back()->hidden = true;
  {
    // Numbers in [0, 100], shown as "%f" without trailing zeros ("50 99
    // 99.9"); one argument holding them all (CONFIG SET) or one each (a
    // config file line); "" is no percentile at all.
    auto p = std::make_unique<Param>();
    p->name = "latency-tracking-info-percentiles";
    p->min_args = 0;
    p->max_args = 64;
    p->get = [&v] {
      std::string out;
      for (double d : v.latency_tracking_info_percentiles) {
        if (!out.empty()) out += ' ';
        out += format_percentile(d);
      }
      return out;
    };
    p->set = [&v](const std::vector<std::string>& a) -> std::string {
      std::vector<std::string> words = a;
      if (a.size() == 1)
        words = protocol::split_args(a[0]).value_or(std::vector<std::string>{a[0]});
      std::vector<double> values;
      for (const auto& w : words) {
        double d;
        if (!parse_double(w, &d)) return "Invalid latency-tracking-info-percentiles parameters";
        if (d > 100.0 || d < 0.0)
          return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
        values.push_back(d);
      }
      v.latency_tracking_info_percentiles = std::move(values);
      return "";
    };
    add(std::move(p));
  }
  boolean("set-proc-title", &v.set_proc_title, false);
  integer("active-expire-effort", &v.active_expire_effort, 1, 10);
  integer("zset-max-listpack-entries", &v.zset_max_listpack_entries, 0, LONG_MAX);
  params_.back()->alias = "zset-max-ziplist-entries";
  by_name_[params_.back()->alias] = params_.back().get();
  memory("zset-max-listpack-value", &v.zset_max_listpack_value, 0, LONG_MAX);
  params_.back()->alias = "zset-max-ziplist-value";
  by_name_[params_.back()->alias] = params_.back().get();
  integer("list-max-listpack-size", &v.list_max_listpack_size, INT_MIN, INT_MAX);
  find("list-max-listpack-size")->alias = "list-max-ziplist-size";
  by_name_["list-max-ziplist-size"] = find("list-max-listpack-size");
  // Redis compresses inner list nodes with LZF at depth > 0; kvd keeps every
  // node plain, so the value is stored and reported but only 0 is honoured.
  integer("list-compress-depth", &v.list_compress_depth, 0, INT_MAX);
  // Hash and set encodings (Redis 7 names; the ziplist names are aliases).
  integer("hash-max-listpack-entries", &v.hash_max_listpack_entries, 0, LONG_MAX);
  params_.back()->alias = "hash-max-ziplist-entries";
  by_name_["hash-max-ziplist-entries"] = params_.back().get();
  memory("hash-max-listpack-value", &v.hash_max_listpack_value, 0, LONG_MAX);
  params_.back()->alias = "hash-max-ziplist-value";
  by_name_["hash-max-ziplist-value"] = params_.back().get();
  integer("set-max-intset-entries", &v.set_max_intset_entries, 0, LONG_MAX);
  memory("hll-sparse-max-bytes", &v.hll_sparse_max_bytes, 0, LONG_MAX);
  memory("stream-node-max-bytes", &v.stream_node_max_bytes, 0, LONG_MAX);
  integer("stream-node-max-entries", &v.stream_node_max_entries, 0, LLONG_MAX);
  {
    // Kept in Redis's canonical spelling of the classes ("AKE", "gxE").
    auto p = std::make_unique<Param>();
    p->name = "notify-keyspace-events";
    p->get = [&v] { return v.notify_keyspace_events; };
    p->set = [&v](const std::vector<std::string>& a) -> std::string {
      int flags = notify::parse_classes(a[0]);
      if (flags < 0) return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
      v.notify_keyspace_events = notify::format_classes(flags);
      return "";
    };
    add(std::move(p));
  }
  boolean("always-show-logo", &v.always_show_logo, false);
  enumeration("enable-protected-configs", &v.enable_protected_configs, {"no", "yes", "local"},
              false);
  enumeration("enable-debug-command", &v.enable_debug_command, {"no", "yes", "local"}, false);
  register_inert();
}

std::string Config::set(std::string_view name, const std::vector<std::string>& args, bool startup) {
  Param* p = find(name);
  if (!p) return "Bad directive or wrong number of arguments";
  if (args.size() < p->min_args || args.size() > p->max_args) {
    return "Bad directive or wrong number of arguments";
  }
  if (!startup && !p->is_mutable) return "can't set immutable config";
  const bool may_apply = !startup && appliers_.count(p->name);
  ConfigValues backup;
  if (may_apply) backup = values_;
  std::string before = p->get();
  std::string e = p->set(args);
  if (!e.empty()) return e;
  if (!startup && p->get() != before) {
    if (auto it = appliers_.find(p->name); it != appliers_.end()) {
      std::string why = it->second();
      if (!why.empty()) {
        values_ = backup;
        (void)it->second();
        return why;
      }
    }
    notify(*p);
  }
  return "";
}

void Config::notify(const Param& p) {
  auto it = listeners_.find(p.name);
  if (it == listeners_.end()) return;
  for (auto& fn : it->second) fn();
}

std::string Config::set_all(const std::vector<std::pair<std::string, std::string>>& pairs,
                            std::string* failed_name) {
  // Setters only write into values_, so a copy of it is a complete backup.
  ConfigValues backup = values_;
  std::vector<const Param*> changed;
  for (const auto& [name, value] : pairs) {
    Param* p = find(name);
    std::string e = p ? "" : "Unknown option";
    if (p && !p->is_mutable) e = "can't set immutable config";
    std::string before = p ? p->get() : "";
    if (e.empty()) e = p->set({value});
    if (!e.empty()) {
      values_ = backup;
      // Named as Redis does: the alias when the client used it.
      *failed_name = p && !iequals(name, p->alias) ? p->name : to_lower(name);
      return e;
    }
    if (p->get() != before) changed.push_back(p);
  }
  std::vector<const std::function<std::string()>*> applied;
  for (const Param* p : changed) {
    auto it = appliers_.find(p->name);
    if (it == appliers_.end()) continue;
    std::string e = it->second();
    if (!e.empty()) {
      values_ = backup;
      for (auto a = applied.rbegin(); a != applied.rend(); ++a) (void)(**a)();
      *failed_name = p->name;
      return e;
    }
    applied.push_back(&it->second);
  }
  for (const Param* p : changed) notify(*p);
  return "";
}

void Config::on_apply(const std::string& name, std::function<std::string()> fn) {
  appliers_[name] = std::move(fn);
}

std::string Config::canonical_name(std::string_view name) const {
  const Param* p = find(name);
  return p ? p->name : "";
}

std::optional<std::string> Config::get(std::string_view name) const {
  const Param* p = find(name);
  if (!p) return std::nullopt;
  return p->get();
}

std::vector<std::pair<std::string, std::string>> Config::get_matching(
    std::string_view pattern) const {
  std::vector<std::pair<std::string, std::string>> out;
  // As in Redis 7.0, an alias is a name of its own: "*" lists both names.
  for (const auto& p : params_) {
    if (p->hidden) continue;
    if (glob_match(pattern, p->name, true)) out.emplace_back(p->name, p->get());
    if (!p->alias.empty() && glob_match(pattern, p->alias, true)) {
      out.emplace_back(p->alias, p->get());
    }
  }
  return out;
}

void Config::on_change(const std::string& name, std::function<void()> fn) {
  listeners_[name].push_back(std::move(fn));
}

std::string Config::load_text(const std::string& text, const std::string& origin) {
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') continue;
    auto fail = [&](const std::string& why) {
      return std::string("\n*** FATAL CONFIG FILE ERROR (kvd ") + kVersion + ") ***\n" +
             "Reading the configuration file" + (origin.empty() ? "" : " " + origin) +
             ", at line " + std::to_string(lineno) + "\n>>> '" + line + "'\n" + why + "\n";
    };
    auto parts = protocol::split_args(line);
    if (!parts) return fail("Unbalanced quotes in configuration line");
    if (parts->empty()) continue;
    std::string name = to_lower((*parts)[0]);
    std::vector<std::string> args(parts->begin() + 1, parts->end());
    if (name == "include") {
      if (args.size() != 1) return fail("Bad directive or wrong number of arguments");
      std::string e = load_file(args[0]);
      if (!e.empty()) return e;
      continue;
    }
    if (name == "rename-command") {
      if (args.size() != 2) return fail("Bad directive or wrong number of arguments");
      if (command_exists && !command_exists(args[0]))
        return fail("No such command in rename-command");
      command_renames.emplace_back(args[0], args[1]);
      continue;
    }
    if (name == "user") {
      if (args.empty()) return fail("Bad directive or wrong number of arguments");
      for (const auto& earlier : acl_user_lines)
        if (earlier[0] == args[0])
          return fail("Error in user declaration '" + args[0] +
                      "': Duplicate user found. A user can only be defined once in config files");
      acl_user_lines.push_back(args);
      continue;
    }
    if (is_retired(name, args.size())) continue;
    // As in Redis, the first save line read replaces the built-in save
    // points and each later one adds to them (so `--save 100 100` after a
    // file's `save 900 1` gives "900 1 100 100"); `save ""` clears them.
    const std::string saves_before = name == "save" && save_loaded_ ? values_.save : "";
    std::string e = set(name, args, true);
    if (!e.empty()) return fail(e);
    if (name == "save") {
      if (!saves_before.empty() && !values_.save.empty())
        values_.save = saves_before + " " + values_.save;
      save_loaded_ = true;
    }
  }
  return "";
}

std::string Config::load_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) return "Fatal error, can't open config file '" + path + "': " + strerror(errno);
  std::stringstream ss;
  ss << f.rdbuf();
  return load_text(ss.str(), "'" + path + "'");
}

std::string Config::quote_if_needed(std::string_view value) {
  bool plain = !value.empty();
  for (unsigned char c : value) {
    if (c <= ' ' || c == '"' || c == '\'' || c == '\\' || c >= 0x7f) plain = false;
  }
  if (plain) return std::string(value);
  std::string out;
  append_repr(out, value);
  return out;
}

std::string Config::flags_to_text(const std::vector<std::string>& args) {
  std::string text;
  bool open = false;
  for (const auto& a : args) {
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      if (open) text += "\n";
      text += a.substr(2);
      open = true;
    } else if (open) {
      text += " " + quote_if_needed(a);
    }
  }
  if (open) text += "\n";
  return text;
}

// A directive's value as a config line, quoted when one token would not survive
// split_args. Multi-token values (bind, save, client-output-buffer-limit) are
// already blank-separated lists and stay as they are.
static std::string config_line(const std::string& name, const std::string& value, bool multi) {
  if (multi && !value.empty()) return name + " " + value;
  return name + " " + Config::quote_if_needed(value);
}

std::string Config::rewrite(bool force_all) {
  if (config_file.empty()) return "The server is running without a config file";
  std::vector<std::string> lines;
  {
    std::ifstream f(config_file);
    std::string line;
    while (std::getline(f, line)) lines.push_back(line);
  }
  std::set<const Param*> written;
  std::vector<std::string> out;
  bool users_written = false;
  for (const auto& line : lines) {
    auto parts = protocol::split_args(line);
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#' || !parts || parts->empty()) {
      out.push_back(line);
      continue;
    }
    if (user_lines && to_lower((*parts)[0]) == "user") {
      // The first `user` line's place gets every user; the others go.
      if (!users_written) {
        for (auto& u : user_lines()) out.push_back(std::move(u));
        users_written = true;
      }
      continue;
    }
    const Param* p = find((*parts)[0]);
    if (!p) {
      out.push_back(line);
      continue;
    }
    if (written.count(p)) continue;  // later duplicates collapse into the first
    written.insert(p);
    std::string value = p->get();
    // No master: Redis drops the replicaof line (an empty one would not load).
    if (value.empty() && p->name == "replicaof") continue;
    std::vector<std::string> old_args(parts->begin() + 1, parts->end());
    // An unchanged directive keeps its line byte for byte (spacing, quoting).
    if (join(old_args) == value)
      out.push_back(line);
    else
      out.push_back(config_line(p->name, value, p->max_args > 1));
  }
  bool header = false;
  for (const auto& p : params_) {
    if (written.count(p.get())) continue;
    std::string value = p->get();
    if (value == p->default_value) {
      // force_all writes defaults too, but not an empty list (replicaof ""
      // does not load; an absent line means the same).
      if (!force_all || (value.empty() && p->max_args > 1)) continue;
    }
    if (!header) {
      out.push_back("# Generated by CONFIG REWRITE");
      header = true;
    }
    out.push_back(config_line(p->name, value, p->max_args > 1));
  }
  if (user_lines && !users_written) {
    for (auto& u : user_lines()) {
      if (!header) {
        out.push_back("# Generated by CONFIG REWRITE");
        header = true;
      }
      out.push_back(std::move(u));
    }
  }
  std::string tmp = config_file + ".tmp-" + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::trunc);
    if (!f) return std::string("Rewriting config file: ") + strerror(errno);
    for (const auto& l : out) f << l << "\n";
    f.flush();
    if (!f) return std::string("Rewriting config file: ") + strerror(errno);
  }
  if (::rename(tmp.c_str(), config_file.c_str()) != 0) {
    std::string e = std::string("Rewriting config file: ") + strerror(errno);
    ::unlink(tmp.c_str());
    return e;
  }
  return "";
}

}  // namespace kvd::engine
