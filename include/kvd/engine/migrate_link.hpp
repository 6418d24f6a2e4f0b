#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kvd::engine {

// A connection MIGRATE keeps to another server (the server layer owns the
// socket; the command only talks through this). Its calls block for at most
// the timeout they are given: MIGRATE is atomic in Redis, the keys leave only
// once the target acknowledged them, and kvd keeps that contract.
class MigrateLink {
 public:
  virtual ~MigrateLink() = default;
  // Writes all of `data` within `timeout_ms`; false on error or timeout.
  virtual bool write_all(std::string_view data, int64_t timeout_ms) = 0;
  // Reads one reply line (without its CRLF) within `timeout_ms`; false on
  // error, timeout or a closed connection.
  virtual bool read_line(std::string* line, int64_t timeout_ms) = 0;
  // The last failure was a timeout (Redis does not retry those).
  virtual bool timed_out() const = 0;
  // The database the target has selected on this link, -1 if unknown.
  int selected_db = -1;
};

}  // namespace kvd::engine
