#include "kvd/server/logging.hpp"

#include <syslog.h>
#include <unistd.h>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "kvd/common/version.hpp"

namespace kvd::server {
namespace {

// The log file, or "" for standard output (which the banner checks for a tty).
std::string g_logfile;

// Redis's role mark: M master, S replica, C a forked child (snapshot or
// rewrite), told apart by the pid the logger started in.
std::atomic<char> g_role{'M'};
pid_t g_main_pid = 0;

class RoleMark : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    dest.push_back(::getpid() != g_main_pid ? 'C' : g_role.load(std::memory_order_relaxed));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<RoleMark>();
  }
};

// Redis's one-character level mark.
class LevelMark : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    char mark = '#';
    switch (msg.level) {
      case spdlog::level::trace:
        mark = '.';
        break;
      case spdlog::level::debug:
        mark = '-';
        break;
      case spdlog::level::info:
        mark = '*';
        break;
      default:
        break;
    }
    dest.push_back(mark);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelMark>();
  }
};

// The log file, opened for appending (a forked child's lines land after the
// parent's), and reopened at its path on request.
class LogFileSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit LogFileSink(std::string path) : path_(std::move(path)) {}
  ~LogFileSink() override {
    if (file_) std::fclose(file_);
  }
  bool open() {
    file_ = std::fopen(path_.c_str(), "a");
    return file_ != nullptr;
  }
  void reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    FILE* f = std::fopen(path_.c_str(), "a");
    if (!f) return;  // keep writing where we were rather than nowhere
    if (file_) std::fclose(file_);
    file_ = f;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (!file_) return;
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    std::fwrite(line.data(), 1, line.size(), file_);
  }
  void flush_() override {
    if (file_) std::fflush(file_);
  }

 private:
  std::string path_;
  FILE* file_ = nullptr;
};

// syslog(3) with the message alone, at the priorities Redis uses for its
// levels (debug, verbose -> info, notice, warning).
class SyslogSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  SyslogSink(std::string ident, int facility) : ident_(std::move(ident)) {
    // openlog keeps the pointer: ident_ lives as long as the sink.
    ::openlog(ident_.c_str(), LOG_PID | LOG_NDELAY | LOG_NOWAIT, facility);
  }
  ~SyslogSink() override { ::closelog(); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    int prio = LOG_WARNING;
    switch (msg.level) {
      case spdlog::level::trace:
        prio = LOG_DEBUG;
        break;
      case spdlog::level::debug:
        prio = LOG_INFO;
        break;
      case spdlog::level::info:
        prio = LOG_NOTICE;
        break;
      default:
        break;
    }
    ::syslog(prio, "%.*s", static_cast<int>(msg.payload.size()), msg.payload.data());
  }
  void flush_() override {}

 private:
  std::string ident_;
};

int syslog_facility(const std::string& name) {
  if (name == "user") return LOG_USER;
  static const int kLocal[] = {LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
                               LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};
  if (name.size() == 6 && name.compare(0, 5, "local") == 0 && name[5] >= '0' && name[5] <= '7')
    return kLocal[name[5] - '0'];
  return LOG_LOCAL0;
}

std::shared_ptr<LogFileSink> g_file_sink;

}  // namespace

void reopen_log_file() {
  if (g_file_sink) g_file_sink->reopen();
}

void set_log_main_pid() {
  g_main_pid = ::getpid();
}

void set_log_role(bool replica) {
  g_role.store(replica ? 'S' : 'M', std::memory_order_relaxed);
}

void set_log_level(const std::string& level) {
  // Redis levels: debug < verbose < notice < warning < nothing.
  spdlog::level::level_enum l = spdlog::level::off;
  if (level == "debug")
    l = spdlog::level::trace;
  else if (level == "verbose")
    l = spdlog::level::debug;
  else if (level == "notice")
    l = spdlog::level::info;
  else if (level == "warning")
    l = spdlog::level::warn;
  spdlog::set_level(l);
}

std::string init_logging(const std::string& logfile, const std::string& level,
                         const SyslogOptions& syslog) {
  g_logfile = logfile;
  spdlog::sink_ptr sink;
  std::string err;
  if (!logfile.empty()) {
    auto file = std::make_shared<LogFileSink>(logfile);
    if (file->open()) {
      g_file_sink = file;
      sink = file;
    } else {
      err = std::string("Can't open the log file: ") + std::strerror(errno);
    }
  }
  if (!sink) sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  g_main_pid = ::getpid();
  formatter->add_flag<LevelMark>('*').add_flag<RoleMark>('R').set_pattern(
      "%P:%R %d %b %Y %H:%M:%S.%e %* %v");
  sink->set_formatter(std::move(formatter));
  auto logger = std::make_shared<spdlog::logger>("kvd", sink);
  if (syslog.enabled) {
    logger->sinks().push_back(
        std::make_shared<SyslogSink>(syslog.ident, syslog_facility(syslog.facility)));
  }
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  set_log_level(level);
  return err;
}

void log_banner(bool show_logo, long port) {
  bool tty = g_logfile.empty() && isatty(STDOUT_FILENO);
  if (!show_logo && !tty) {
    spdlog::info("Running mode=standalone, port={}.", port);
    return;
  }
  // kvd's own picture: a small key/value table.
  const std::string head = std::string("kvd ") + kVersion + " (Redis " + kRedisCompatVersion +
                           " compatible) " + std::to_string(sizeof(long) * 8) + " bit";
  const std::string lines[] = {
      "       .---------------------.",
      "      /  k    v    d        /|       " + head,
      "     /---------------------/ |",
      "     |   key   |   value   | |       Running in standalone mode",
      "     |---------+-----------| |       Port: " + std::to_string(port),
      "     |   key   |   value   | |       PID: " + std::to_string(getpid()),
      "     |---------+-----------| /",
      "     |   key   |   value   |/",
      "     '---------------------'",
      "",
  };
  // Written as it is, without the line prefix, at notice level like Redis's.
  if (!spdlog::default_logger()->should_log(spdlog::level::info)) return;
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  spdlog::default_logger()->flush();
  FILE* f = g_logfile.empty() ? stdout : std::fopen(g_logfile.c_str(), "a");
  if (!f) return;
  std::fwrite(text.data(), 1, text.size(), f);
  if (f == stdout)
    std::fflush(f);
  else
    std::fclose(f);
}

}  // namespace kvd::server
