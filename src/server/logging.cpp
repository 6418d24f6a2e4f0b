#include "kvd/server/logging.hpp"

#include <unistd.h>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
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

}  // namespace

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

void init_logging(const std::string& logfile, const std::string& level) {
  g_logfile = logfile;
  spdlog::sink_ptr sink;
  if (logfile.empty()) {
    sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  } else {
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(logfile);
  }
  auto logger = std::make_shared<spdlog::logger>("kvd", sink);
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  g_main_pid = ::getpid();
  formatter->add_flag<LevelMark>('*').add_flag<RoleMark>('R').set_pattern(
      "%P:%R %d %b %Y %H:%M:%S.%e %* %v");
  logger->set_formatter(std::move(formatter));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  set_log_level(level);
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
