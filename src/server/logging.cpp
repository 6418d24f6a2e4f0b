#include "kvd/server/logging.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace kvd::server {

void set_log_level(const std::string& level) {
  // Redis levels: debug < verbose < notice < warning < nothing.
  if (level == "debug")
    spdlog::set_level(spdlog::level::trace);
  else if (level == "verbose")
    spdlog::set_level(spdlog::level::debug);
  else if (level == "notice")
    spdlog::set_level(spdlog::level::info);
  else if (level == "warning")
    spdlog::set_level(spdlog::level::warn);
  else
    spdlog::set_level(spdlog::level::off);
}

void init_logging(const std::string& logfile, const std::string& level) {
  std::shared_ptr<spdlog::logger> logger;
  if (logfile.empty()) {
    logger = spdlog::stdout_logger_mt("kvd");
  } else {
    logger = spdlog::basic_logger_mt("kvd", logfile);
  }
  logger->set_pattern("%P:M %d %b %Y %H:%M:%S.%e %L %v");
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  set_log_level(level);
}

}  // namespace kvd::server
