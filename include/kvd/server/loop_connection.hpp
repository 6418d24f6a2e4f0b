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
#include "kvd/server/uring.hpp"

namespace kvd::server {

class Server;

// A client connection served entirely by the main loop (io-threads 1): reads into its query buffer,
// parses every complete command, runs them on the engine, and writes replies with a direct
// non-blocking write at the end of the batch. It waits for writability only when
// the kernel's send buffer is full, and stops reading while too many reply
// bytes are pending (backpressure), so a client that never reads cannot grow
// the server's memory without bound.
//
// With io-uring yes (and no TLS) the socket is on the ring instead of the
// poller: bytes arrive through on_received and replies leave as one send in
// flight at a time (loop_connection_uring.cpp); parsing, running and
// backpressure are the same.
class LoopConnection final : public Connection,
                             public ClientPoller::Target,
                             public UringTransport::Target {
 public:
  // ring: the io_uring transport serves this socket (null: the poller does).
  LoopConnection(Server& server, Socket socket, bool unix_socket, UringTransport* ring);
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

  // UringTransport::Target: the ring's completions.
  void on_received(const char* data, size_t n) override;
  void on_receive_ended(int res) override;
  void on_sent(int res) override;

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
  // Drops the pending replies (a send in flight keeps its bytes until done).
  void clear_output();

  // The ring's side (loop_connection_uring.cpp).
  void start_on_ring();
  // Takes n received bytes into the query buffer; false if that closed us.
  bool take_in(const char* data, size_t n);
  // Serves what the ring delivered: bytes kept while our own command ran,
  // and a receive armed again if it ended or was paused.
  void read_from_ring();
  // Starts a send of the pending replies.
  void send_on_ring();
  // Once closed, the ring's last completion lets the connection go.
  void release_ring_if_done();

  std::shared_ptr<LoopConnection> self() {
    return std::static_pointer_cast<LoopConnection>(shared_from_this());
  }

  int fd_ = -1;
  engine::Client client_;
  protocol::RequestParser parser_;
  protocol::OutputBuffer out_;
  protocol::ReplyWriter writer_;

  QueryBuffer in_;

  // The ring's state (null ring_: the poller serves the socket).
  UringTransport* ring_ = nullptr;
  struct RingSend {
    static constexpr int kMaxIov = 16;
    msghdr msg{};
    iovec iov[kMaxIov];
    size_t bytes = 0;  // what the send in flight reads from the reply blocks
    // Replies dropped while their send was in flight: kept until it ends
    // (when the send could not be stopped at once).
    protocol::OutputBuffer dropped;
    bool discarded = false;  // the send in flight is for dropped replies
  };
  std::unique_ptr<RingSend> ring_send_;  // made on the first send
  std::string stash_;                    // bytes that came while our own command ran
  bool receiving_ = false;               // a multishot receive is armed
  bool stopping_receive_ = false;        // its cancel is on the way (backpressure)
  bool sending_ = false;                 // a send is in flight

  bool maybe_readable_ = false;  // readiness seen and no short read since
  bool writing_ = false;         // the socket was full: the next EPOLLOUT flushes
  bool paused_ = false;          // not reading: too much output pending
  bool processing_ = false;      // inside process_input (re-entrancy guard)
  bool close_after_write_ = false;
  bool flush_scheduled_ = false;
  bool closed_ = false;
};

}  // namespace kvd::server
