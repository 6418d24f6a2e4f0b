// The redis.conf directives kvd accepts but does not act on: replication, AOF,
// cluster, TLS, active defragmentation, syslog and the like. A config file
// written for redis-server 7.0 (or a test harness's) must load unchanged, and
// tools read and write these through CONFIG GET/SET/REWRITE, so each one keeps
// Redis's name, alias, built-in default, accepted values, error messages and
// mutability. Each is one row of kDirectives below; its kind decides how a
// value is checked and how CONFIG GET shows it.

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config_param.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/config.hpp"
#include "kvd/protocol/split_args.hpp"

namespace kvd::engine {
namespace {

enum class Kind {
  kBool,             // yes | no
  kInt,              // decimal integer in [lo, hi]
  kMemory,           // byte count with an optional unit (1k, 1kb, 1m, 1mb, 1g, 1gb) in [lo, hi]
  kMemoryOrPercent,  // as kMemory, or "N%" (percent of maxmemory) with N in [0, -lo]
  kChoice,           // one word out of `choices`
  kFlags,            // one or more words out of `choices`, shown in table order
  kText,             // any string (then `check`, if set)
  kList,             // several words, parsed by `check`
};

enum : unsigned {
  kImmutable = 1,  // set at startup only: CONFIG SET answers "can't set immutable config"
  kHidden = 2,     // not listed by CONFIG GET with a pattern (Redis's testing knobs)
};

// Checks (and may normalise) the value of a kText, kFlags or kList directive;
// returns Redis's error text, or nullptr when the value is good.
using Check = const char* (*)(const std::vector<std::string>& words, std::string* value);

struct Directive {
  const char* name;
  Kind kind;
  const char* def;  // CONFIG GET's answer on a server started without a config file
  int64_t lo = 0, hi = 0;
  // kChoice and kFlags: the words in Redis's order. "a=b" makes a a synonym of
  // b (CONFIG GET shows b); for kFlags the first word means "none".
  const char* choices = nullptr;
  unsigned flags = 0;
  const char* alias = nullptr;
  Check check = nullptr;
};

constexpr Directive yes_no(const char* name, bool def, unsigned flags = 0,
                           const char* alias = nullptr, Check check = nullptr) {
  return {name, Kind::kBool, def ? "yes" : "no", 0, 0, nullptr, flags, alias, check};
}
constexpr Directive number(const char* name, const char* def, int64_t lo, int64_t hi,
                           unsigned flags = 0, const char* alias = nullptr) {
  return {name, Kind::kInt, def, lo, hi, nullptr, flags, alias};
}
constexpr Directive bytes(const char* name, const char* def, int64_t lo, int64_t hi) {
  return {name, Kind::kMemory, def, lo, hi};
}
constexpr Directive choice(const char* name, const char* def, const char* choices,
                           unsigned flags = 0) {
  return {name, Kind::kChoice, def, 0, 0, choices, flags};
}
constexpr Directive text(const char* name, const char* def, unsigned flags = 0,
                         Check check = nullptr, const char* alias = nullptr) {
  return {name, Kind::kText, def, 0, 0, nullptr, flags, alias, check};
}

constexpr int64_t kLongMax = LONG_MAX;
constexpr int64_t kLLongMax = LLONG_MAX;

// --- value checks for the directives that need more than their kind's --------

const char* check_hostname(const std::vector<std::string>&, std::string* v) {
  if (v->size() >= 256) return "Hostnames must be less than 256 characters";
  for (char c : *v) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.';
    if (!ok) return "Hostnames may only contain alphanumeric characters, hyphens or dots";
  }
  return nullptr;
}

// proc-title-template: "{name}" variables from a fixed set, "{{" for a literal
// brace; the expansion (with an empty title) must not be blank.
const char* check_title_template(const std::vector<std::string>&, std::string* v) {
  static constexpr const char* kBad = "template format is invalid or contains unknown variables";
  bool visible = false;  // something that expands to non-blank text
  const std::string& t = *v;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '{') {
      if (t[i] != ' ') visible = true;
      continue;
    }
    if (i + 1 >= t.size()) return kBad;
    if (t[i + 1] == '{') {
      visible = true;
      ++i;
      continue;
    }
    size_t end = t.find('}', i + 1);
    if (end == std::string::npos) return kBad;
    std::string_view var(t.data() + i + 1, end - i - 1);
    if (var == "listen-addr" || var == "config-file" || var == "port" || var == "tls-port") {
      visible = true;
    } else if (var != "title" && var != "server-mode" && var != "unixsocket") {
      return kBad;
    }
    i = end;
  }
  return visible ? nullptr : kBad;
}

// kvd has no defragmenter, like a Redis built without its patched jemalloc.
const char* check_no_defrag(const std::vector<std::string>&, std::string* v) {
  if (*v == "yes") {
    return "Active defragmentation cannot be enabled: it requires a Redis server compiled "
           "with a modified Jemalloc like the one shipped by default with the Redis source "
           "distribution";
  }
  return nullptr;
}

const char* check_shutdown_flags(const std::vector<std::string>&, std::string* v) {
  std::string padded = " " + *v + " ";
  if (padded.find(" save ") != std::string::npos && padded.find(" nosave ") != std::string::npos)
    return "shutdown options SAVE and NOSAVE can't be used simultaneously";
  return nullptr;
}

// oom-score-adj-values: three integers in [-2000, 2000].
const char* check_oom_values(const std::vector<std::string>& w, std::string* v) {
  if (w.size() != 3) return "wrong number of arguments";
  std::string out;
  for (const auto& s : w) {
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(s.c_str(), &end, 10);
    if (*end != '\0' || errno == ERANGE || n < -2000 || n > 2000)
      return "Invalid oom-score-adj-values, elements must be between -2000 and 2000.";
    if (!out.empty()) out += ' ';
    out += int_to_string(n);
  }
  *v = out;
  return nullptr;
}

// replicaof: "<host> <port>" or "no one" (shown as the empty string).
const char* check_replicaof(const std::vector<std::string>& w, std::string* v) {
  if (w.size() != 2) return "wrong number of arguments";
  if (iequals(w[0], "no") && iequals(w[1], "one")) {
    v->clear();
    return nullptr;
  }
  char* end = nullptr;
  long port = std::strtol(w[1].c_str(), &end, 10);
  if (*end != '\0' || port < 0 || port > 65535) return "Invalid master port";
  *v = w[0] + " " + std::to_string(port);
  return nullptr;
}

constexpr unsigned kImm = kImmutable;

// Redis 7.0.15's directives that kvd does not act on, with Redis's defaults and
// limits. conf/kvd.conf says what Redis uses each for.
const Directive kDirectives[] = {
    // Snapshotting
    yes_no("rdbchecksum", true, kImm),
    yes_no("rdb-del-sync-files", false),
    // Append-only file
    // Replication
    {"replicaof", Kind::kList, "", 0, 0, nullptr, kImm, "slaveof", check_replicaof},
    text("masterauth", ""),
    text("masteruser", ""),
    yes_no("replica-serve-stale-data", true, 0, "slave-serve-stale-data"),
    yes_no("replica-read-only", true, 0, "slave-read-only"),
    yes_no("replica-lazy-flush", false, 0, "slave-lazy-flush"),
    yes_no("replica-ignore-maxmemory", true, 0, "slave-ignore-maxmemory"),
    yes_no("replica-announced", true),
    yes_no("replica-ignore-disk-write-errors", false),
    number("replica-priority", "100", 0, INT_MAX, 0, "slave-priority"),
    text("replica-announce-ip", "", 0, nullptr, "slave-announce-ip"),
    number("replica-announce-port", "0", 0, 65535, 0, "slave-announce-port"),
    yes_no("repl-diskless-sync", true),
    number("repl-diskless-sync-delay", "5", 0, INT_MAX),
    number("repl-diskless-sync-max-replicas", "0", 0, INT_MAX),
    choice("repl-diskless-load", "disabled", "disabled on-empty-db swapdb"),
    yes_no("repl-disable-tcp-nodelay", false),
    number("repl-ping-replica-period", "10", 1, INT_MAX, 0, "repl-ping-slave-period"),
    number("repl-timeout", "60", 1, INT_MAX),
    bytes("repl-backlog-size", "1048576", 1, kLLongMax),
    number("repl-backlog-ttl", "3600", 0, kLongMax),
    number("min-replicas-to-write", "0", 0, INT_MAX, 0, "min-slaves-to-write"),
    number("min-replicas-max-lag", "10", 0, INT_MAX, 0, "min-slaves-max-lag"),
    choice("propagation-error-behavior", "ignore", "ignore panic panic-on-replicas"),
    // Cluster
    yes_no("cluster-enabled", false, kImm),
    text("cluster-config-file", "nodes.conf", kImm),
    number("cluster-node-timeout", "15000", 0, kLLongMax),
    number("cluster-port", "0", 0, 65535, kImm),
    text("cluster-announce-ip", ""),
    text("cluster-announce-hostname", "", 0, check_hostname),
    number("cluster-announce-port", "0", 0, 65535),
    number("cluster-announce-bus-port", "0", 0, 65535),
    number("cluster-announce-tls-port", "0", 0, 65535),
    choice("cluster-preferred-endpoint-type", "ip", "ip hostname unknown-endpoint"),
    number("cluster-replica-validity-factor", "10", 0, INT_MAX, 0, "cluster-slave-validity-factor"),
    number("cluster-migration-barrier", "1", 0, INT_MAX),
    yes_no("cluster-allow-replica-migration", true),
    yes_no("cluster-require-full-coverage", true),
    yes_no("cluster-replica-no-failover", false, 0, "cluster-slave-no-failover"),
    yes_no("cluster-allow-reads-when-down", false),
    yes_no("cluster-allow-pubsubshard-when-down", true),
    bytes("cluster-link-sendbuf-limit", "0", 0, kLLongMax),
    // TLS
    number("tls-port", "0", 0, 65535),
    text("tls-cert-file", ""),
    text("tls-key-file", ""),
    text("tls-key-file-pass", ""),
    text("tls-client-cert-file", ""),
    text("tls-client-key-file", ""),
    text("tls-client-key-file-pass", ""),
    text("tls-dh-params-file", ""),
    text("tls-ca-cert-file", ""),
    text("tls-ca-cert-dir", ""),
    choice("tls-auth-clients", "yes", "no yes optional"),
    yes_no("tls-replication", false),
    yes_no("tls-cluster", false),
    text("tls-protocols", ""),
    text("tls-ciphers", ""),
    text("tls-ciphersuites", ""),
    yes_no("tls-prefer-server-ciphers", false),
    yes_no("tls-session-caching", true),
    number("tls-session-cache-size", "20480", 0, INT_MAX),
    number("tls-session-cache-timeout", "300", 0, INT_MAX),
    // Security, ACL and modules
    text("aclfile", "", kImm),
    number("acllog-max-len", "128", 0, kLongMax),
    choice("acl-pubsub-default", "resetchannels", "allchannels resetchannels"),
    choice("enable-module-command", "no", "no yes local", kImm),
    // Process, logging and the operating system
    choice("supervised", "no", "upstart systemd auto no", kImm),
    yes_no("syslog-enabled", false, kImm),
    text("syslog-ident", "redis", kImm),
    choice("syslog-facility", "local0",
           "user local0 local1 local2 local3 local4 local5 local6 local7", kImm),
    text("proc-title-template", "{title} {listen-addr} {server-mode}", 0, check_title_template),
    yes_no("crash-log-enabled", true),
    yes_no("crash-memcheck-enabled", true),
    yes_no("use-exit-on-panic", false, kHidden),
    number("watchdog-period", "0", 0, INT_MAX, kHidden),
    yes_no("disable-thp", true, kImm),
    // Applied by the server (Server::apply_oom_score), not inert.
    choice("oom-score-adj", "no", "no yes relative=yes absolute"),
    {"oom-score-adj-values", Kind::kList, "0 200 800", 0, 0, nullptr, 0, nullptr, check_oom_values},
    text("server_cpulist", "", kImm),
    text("bio_cpulist", "", kImm),
    text("aof_rewrite_cpulist", "", kImm),
    text("bgsave_cpulist", "", kImm),
    text("ignore-warnings", ""),
    number("socket-mark-id", "0", 0, UINT_MAX, kImm),
    text("bind-source-addr", ""),
    {"shutdown-on-sigint", Kind::kFlags, "default", 0, 0, "default save nosave now force", 0,
     nullptr, check_shutdown_flags},
    {"shutdown-on-sigterm", Kind::kFlags, "default", 0, 0, "default save nosave now force", 0,
     nullptr, check_shutdown_flags},
    number("shutdown-timeout", "10", 0, INT_MAX),
    // Memory, expiry and lazy freeing
    {"maxmemory-clients", Kind::kMemoryOrPercent, "0", -100, kLLongMax},
    yes_no("lazyfree-lazy-expire", false),
    yes_no("lazyfree-lazy-server-del", false),
    yes_no("dynamic-hz", true),
    yes_no("jemalloc-bg-thread", true),  // acted on by main.cpp, which owns the allocator
    // Active defragmentation
    yes_no("activedefrag", false, 0, nullptr, check_no_defrag),
    bytes("active-defrag-ignore-bytes", "104857600", 1, kLLongMax),
    number("active-defrag-threshold-lower", "10", 0, 1000),
    number("active-defrag-threshold-upper", "100", 0, 1000),
    number("active-defrag-cycle-min", "1", 1, 99),
    number("active-defrag-cycle-max", "25", 1, 99),
    number("active-defrag-max-scan-fields", "1000", 1, kLongMax),
};

// The words of a multi-word value: a config line's arguments, or one argument
// holding them all (CONFIG SET, or a quoted config value). "" is no words.
std::vector<std::string> words_of(const std::vector<std::string>& args) {
  if (args.size() != 1) return args;
  if (args[0].empty()) return {};
  return protocol::split_args(args[0]).value_or(std::vector<std::string>{args[0]});
}

std::vector<std::string> split_choices(const char* choices) {
  return protocol::split_args(choices).value_or(std::vector<std::string>{});
}

std::string range_error(int64_t lo, int64_t hi) {
  return "argument must be between " + int_to_string(lo) + " and " + int_to_string(hi) +
         " inclusive";
}

// Parses `args` as directive `d` wants; on success stores CONFIG GET's form of
// the value in *value and returns "", else returns Redis's error text.
std::string parse(const Directive& d, const std::vector<std::string>& args, std::string* value) {
  const std::string& a = args.empty() ? std::string() : args[0];
  std::string out;
  switch (d.kind) {
    case Kind::kBool:
      if (iequals(a, "yes"))
        out = "yes";
      else if (iequals(a, "no"))
        out = "no";
      else
        return "argument must be 'yes' or 'no'";
      break;
    case Kind::kInt: {
      int64_t n;
      if (!parse_int64(a, &n)) return "argument couldn't be parsed into an integer";
      if (n < d.lo || n > d.hi) return range_error(d.lo, d.hi);
      out = int_to_string(n);
      break;
    }
    case Kind::kMemory:
    case Kind::kMemoryOrPercent: {
      bool percent_ok = d.kind == Kind::kMemoryOrPercent;
      int64_t n;
      if (percent_ok && a.size() > 1 && a.back() == '%' &&
          parse_int64(std::string_view(a).substr(0, a.size() - 1), &n) && n >= 0) {
        if (n > -d.lo)
          return "percentage argument must be less or equal to " + int_to_string(-d.lo);
        out = n == 0 ? "0" : int_to_string(n) + "%";
        break;
      }
      if (a.empty() || a[0] == '-' || !parse_memory(a, &n)) {
        return percent_ok ? "argument must be a memory or percent value"
                          : "argument must be a memory value";
      }
      if (n < std::max<int64_t>(d.lo, 0) || n > d.hi) return range_error(d.lo, d.hi);
      out = int_to_string(n);
      break;
    }
    case Kind::kChoice:
    case Kind::kFlags: {
      std::vector<std::string> names = split_choices(d.choices);
      std::vector<std::string> words = d.kind == Kind::kFlags ? words_of(args) : args;
      std::vector<bool> chosen(names.size(), false);
      bool ok = !words.empty();
      for (const auto& w : words) {
        bool matched = false;
        for (size_t i = 0; i < names.size(); ++i) {
          std::string_view n = names[i];
          std::string_view shown = n;
          if (size_t eq = n.find('='); eq != std::string_view::npos) {
            shown = n.substr(eq + 1);
            n = n.substr(0, eq);
          }
          if (!iequals(w, n)) continue;
          matched = true;
          for (size_t j = 0; j < names.size(); ++j) {
            if (names[j] == shown) chosen[j] = true;
          }
        }
        ok = ok && matched;
      }
      if (!ok) {
        std::string e = "argument(s) must be one of the following: ";
        for (size_t i = 0; i < names.size(); ++i) {
          if (i) e += ", ";
          e += names[i].substr(0, names[i].find('='));
        }
        return e;
      }
      // kFlags: the first word means "none" and is shown only on its own.
      for (size_t i = d.kind == Kind::kFlags ? 1 : 0; i < names.size(); ++i) {
        if (!chosen[i]) continue;
        if (!out.empty()) out += ' ';
        out += names[i];
      }
      if (out.empty()) out = names[0];
      break;
    }
    case Kind::kText:
      out = a;
      break;
    case Kind::kList:
      break;
  }
  if (d.check) {
    std::vector<std::string> words = words_of(args);
    if (const char* e = d.check(d.kind == Kind::kList ? words : args, &out)) return e;
  }
  *value = out;
  return "";
}

}  // namespace

void Config::register_inert() {
  ConfigValues& v = values_;
  for (const Directive& d : kDirectives) {
    size_t slot = v.inert.size();
    v.inert.emplace_back(d.def);
    auto p = std::make_unique<Param>();
    p->name = d.name;
    if (d.alias) p->alias = d.alias;
    p->is_mutable = !(d.flags & kImmutable);
    p->hidden = d.flags & kHidden;
    if (d.kind == Kind::kFlags || d.kind == Kind::kList) {
      p->min_args = 0;
      p->max_args = 64;
    }
    p->get = [&v, slot] { return v.inert[slot]; };
    p->set = [&v, slot, &d](const std::vector<std::string>& args) -> std::string {
      std::string value;
      std::string e = parse(d, args, &value);
      if (e.empty()) v.inert[slot] = std::move(value);
      return e;
    };
    add(std::move(p));
  }
}

bool Config::is_retired(std::string_view name, size_t nargs) {
  // Redis 7.0 reads these (with one argument) from old config files and
  // ignores them; CONFIG SET does not know them.
  return nargs == 1 && (name == "list-max-ziplist-entries" || name == "list-max-ziplist-value" ||
                        name == "lua-replicate-commands");
}

}  // namespace kvd::engine
