#pragma once

#include <asio.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "kvd/engine/client.hpp"
#include "kvd/engine/config.hpp"
#include "kvd/server/output_limits.hpp"
#include "kvd/server/tls.hpp"

namespace kvd::server {

class Server;

// What the server needs of a client connection, whichever thread serves its
// socket: LoopConnection (io-threads 1, all on the main loop) or
// ThreadedConnection (socket work on an I/O thread). Every method here is
// called on the main thread.
class Connection : public std::enable_shared_from_this<Connection>, public engine::ConnectionView {
 public:
  using Socket = asio::generic::stream_protocol::socket;

  ~Connection() override = default;

  virtual void start() = 0;
  // Closes now: unregisters from the engine and the server.
  virtual void close() = 0;
  virtual bool closed() const = 0;
  virtual engine::Client& client() = 0;
  // Cron duties: idle timeout, soft output limits, returning idle buffers.
  virtual void on_cron(int64_t now_ms) = 0;

  // Pipelined commands have their keys prefetched this many at a time
  // (Engine::prefetch): enough misses in flight to hide most of their
  // latency, few enough that the lines are still cached when the commands run.
  static constexpr size_t kPrefetchWindow = 16;

  // engine::ConnectionView
  std::string peer_address() const override { return peer_; }
  // Asked of the socket when needed (CLIENT LIST): not worth 32 bytes per
  // connection.
  std::string local_address() const override;
  bool is_unix_socket() const override { return unix_; }

  // A connection accepted on tls-port reads and writes through this session
  // (set by the server before start()).
  void attach_tls(std::unique_ptr<TlsStream> tls) { tls_ = std::move(tls); }
  bool is_tls() const { return tls_ != nullptr; }

 protected:
  Connection(Server& server, bool unix_socket) : server_(server), unix_(unix_socket) {}

  // Records the peer and local addresses of a freshly accepted socket and sets
  // TCP_NODELAY and keepalive as configured.
  void describe_and_tune(Socket& socket);
  // Gives the engine's client record its id, times and reply writer.
  void init_client(engine::Client& client, protocol::ReplyWriter& writer);
  // client-output-buffer-limit for `used` pending reply bytes (the pubsub class
  // for subscribers): true, logged and counted, when the client must be
  // dropped. The caller drops it. Main thread.
  bool output_limit_exceeded(const engine::Client& client, size_t used, int64_t now_ms);

  // One read into `in`'s room, plain or through TLS.
  QueryBuffer::Read read_socket(int fd, QueryBuffer& in, size_t* got) {
    return tls_ ? tls_->read_into(in, got) : in.read_from(fd, got);
  }
  // Writes `out` to the socket, plain or through TLS.
  WriteResult write_socket(int fd, protocol::OutputBuffer& out, uint64_t* written) {
    return tls_ ? tls_->write_out(out, written) : server::write_out(fd, out, written);
  }

  Server& server_;
  bool unix_;
  std::unique_ptr<TlsStream> tls_;
  std::string peer_;
  OutputLimitWatch output_limit_;
};

}  // namespace kvd::server
