#pragma once

#include <asio.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kvd/protocol/output_buffer.hpp"
#include "kvd/protocol/reply_writer.hpp"
#include "kvd/protocol/request_parser.hpp"
#include "kvd/server/client_poller.hpp"
#include "kvd/server/connection.hpp"
#include "kvd/server/socket_io.hpp"

namespace kvd::server {

class Server;

// A client connection served entirely by the main loop (io-threads 1): reads into its query buffer,
// parses every complete command, runs them on the engine, and writes replies with a direct
// non-blocking write at the end of the batch. It waits for writability only when
// the kernel's send buffer is full, and stops reading while too many reply
// bytes are pending (backpressure), so a client that never reads cannot grow
// the server's memory without bound.
class LoopConnection final : public Connection, public ClientPoller::Target {
 public:
  LoopConnection(Server& server, Socket socket, bool unix_socket);
  ~LoopConnection() override;

  void start() override;
  void close() override;
  bool closed() const override { return closed_; }
  engine::Client& client() override { return client_; }
  void on_cron(int64_t now_ms) override;

  // engine::ConnectionView
  int fd() const override;
  size_t query_buffer_used() const override { return in_.used() - parser_.bytes_before_big_bulk(); }
  size_t argv_bytes() const override { return parser_.bytes_before_big_bulk(); }
  size_t query_buffer_free() const override { return in_.free_space(); }
  size_t output_pending() const override { return out_.size(); }
  size_t output_allocated() const override { return out_.allocated(); }
  void close_soon() override;
  void drop_soon() override;
  void schedule_flush() override;
  void resume() override;

  // ClientPoller::Target: the socket's readiness.
  void on_poll(uint32_t events) override;
  // Writes the pending replies (Server::before_sleep calls it for replies
  // that waited for the AOF).
  void flush();

 private:
  // Reads and serves what the socket holds, unless reading waits (paused,
  // closing, our own command still running) or the socket is known dry.
  void read_available();
  // Runs what a read brought, reads on while reads fill the room, replies,
  // and waits for the next request.
  void serve(QueryBuffer::Read r);
  // Counts n bytes just read; false if the query buffer limit closed the client.
  bool accept_input(size_t n);
  // One non-blocking read into the query buffer (kClosed: the client is closed).
  QueryBuffer::Read read_once();
  void process_input();
  // Arms the flush on the next EPOLLOUT; false if it was armed already.
  bool wait_writable();
  void protocol_error(const std::string& msg);
  bool output_limit_reached(int64_t now_ms);

  std::shared_ptr<LoopConnection> self() {
    return std::static_pointer_cast<LoopConnection>(shared_from_this());
  }

  int fd_ = -1;
  engine::Client client_;
  protocol::RequestParser parser_;
  protocol::OutputBuffer out_;
  protocol::ReplyWriter writer_;

  QueryBuffer in_;

  bool maybe_readable_ = false;  // readiness seen and no short read since
  bool writing_ = false;         // the socket was full: the next EPOLLOUT flushes
  bool paused_ = false;          // not reading: too much output pending
  bool processing_ = false;      // inside process_input (re-entrancy guard)
  bool close_after_write_ = false;
  bool flush_scheduled_ = false;
  bool closed_ = false;
};

}  // namespace kvd::server
