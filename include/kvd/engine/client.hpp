#pragma once

#include <cstdint>
#include <string>

namespace kvd::engine {

// What the engine may ask of a client's connection. The server layer implements
// it; unit tests may leave Client::conn null.
class ConnectionView {
 public:
  virtual ~ConnectionView() = default;
  virtual std::string peer_address() const = 0;   // "127.0.0.1:53412"
  virtual std::string local_address() const = 0;  // "127.0.0.1:6379"
  virtual int fd() const = 0;
  virtual size_t query_buffer_used() const = 0;
  virtual size_t query_buffer_free() const = 0;
  virtual size_t output_pending() const = 0;
  virtual size_t output_allocated() const = 0;
  virtual bool is_unix_socket() const = 0;
  // Closes the connection once the current command finished (CLIENT KILL).
  virtual void close_soon() = 0;
};

// Per-connection state the engine keeps (selected db, protocol, auth, name ...).
struct Client {
  uint64_t id = 0;
  int db_index = 0;
  int resp = 2;
  bool authenticated = true;
  bool close_after_reply = false;  // QUIT, protocol errors
  bool no_evict = false;
  bool no_touch = false;
  std::string name;
  std::string lib_name;
  std::string lib_ver;
  std::string user = "default";
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
  std::string last_command = "NULL";
  ConnectionView* conn = nullptr;
};

}  // namespace kvd::engine
