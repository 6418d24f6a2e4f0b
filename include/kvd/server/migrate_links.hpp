#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "kvd/engine/migrate_link.hpp"

namespace kvd::server {

// MIGRATE's connections to other servers, cached by "host:port" as Redis
// caches them: at most 64, each closed 10 s after its last use. They are
// plain blocking-with-deadline sockets (poll), outside the reactor: MIGRATE
// holds the command thread while it transfers, exactly as Redis's does.
class MigrateLinks {
 public:
  static constexpr size_t kMaxLinks = 64;
  static constexpr int64_t kIdleSeconds = 10;

  ~MigrateLinks();
  // The cached link, or a new one connected within timeout_ms; nullptr if
  // the connection failed.
  engine::MigrateLink* get(const std::string& host, const std::string& port, int64_t timeout_ms,
                           int64_t now_s);
  void close(const std::string& host, const std::string& port);
  // Closes the links idle for more than kIdleSeconds (the server's cron).
  void close_idle(int64_t now_s);
  size_t size() const { return links_.size(); }

 private:
  class Link;
  struct Cached {
    std::unique_ptr<engine::MigrateLink> link;
    int64_t last_use_s = 0;
  };
  std::map<std::string, Cached> links_;
};

}  // namespace kvd::server
