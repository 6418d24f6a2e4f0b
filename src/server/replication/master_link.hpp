#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "kvd/engine/client.hpp"
#include "kvd/protocol/output_buffer.hpp"
#include "kvd/protocol/reply_writer.hpp"
#include "kvd/protocol/request_parser.hpp"

namespace kvd::persist {
class ReplicaLoad;
}  // namespace kvd::persist

namespace kvd::server {

class Replication;

// A replica's link to its master: connect, the handshake (PING, AUTH,
// REPLCONF listening-port and capa, PSYNC), the snapshot of a full sync
// (as `$<len>` or as the diskless `$EOF:<mark>` form) received into a file
// and loaded, then the stream applied as the master client (flags=M), with
// REPLCONF ACK each second and on GETACK. A lost link is retried each
// second with PSYNC from our offset. Everything runs on the main loop.
class MasterLink final : public std::enable_shared_from_this<MasterLink>,
                         public engine::ConnectionView {
 public:
  MasterLink(Replication& repl, std::string host, int64_t port);
  ~MasterLink() override;
  MasterLink(const MasterLink&) = delete;
  MasterLink& operator=(const MasterLink&) = delete;

  // Starts connecting; stop() ends everything (the link object may then go).
  void start();
  void stop();
  // Once a cron tick: reconnects, times out, sends the ACK of the second.
  void cron(int64_t now_ms);
  // REPLCONF ACK <offset> now.
  void send_ack();

  // engine::ConnectionView, for the master client (CLIENT LIST, KILL).
  std::string peer_address() const override;
  std::string local_address() const override;
  int fd() const override;
  // Not counting the room a pending read reserved at the end.
  size_t query_buffer_used() const override {
    return in_.size() - in_pos_ - (reading_ ? kReadChunk : 0);
  }
  size_t query_buffer_free() const override { return 0; }
  size_t output_pending() const override { return out_.size(); }
  size_t output_allocated() const override { return out_.capacity(); }
  bool is_unix_socket() const override { return false; }
  void close_soon() override;
  void schedule_flush() override {}
  void resume() override {}

 private:
  enum class State {
    kIdle,        // waits for the next cron to connect
    kConnecting,  // resolving and connecting
    kHandshake,   // a handshake command was sent, its reply is awaited
    kBulkHeader,  // after +FULLRESYNC: waits for $<len> or $EOF:<mark>
    kBulkBody,    // receiving the snapshot into the temp file
    kConnected,   // applying the stream
  };
  enum class Step { kPing, kAuth, kPort, kIp, kCapa, kPsync };

  void connect();
  void on_connected();
  void read_more();
  void on_data();
  void send(std::string_view bytes);
  void send_command(std::initializer_list<std::string_view> args);
  void write_pending();
  // The next handshake step after `done` (skips AUTH and ip-address when
  // not configured).
  void next_step(Step done);
  void handle_reply(const std::string& line);
  void handle_psync_reply(const std::string& line);
  bool take_line(std::string* line);
  void receive_bulk();
  void finish_full_sync();
  // repl-diskless-load on-empty-db / swapdb: the image is loaded as it
  // arrives, a slice at a time (master_link_sync.cpp).
  // A full sync starts replacing our data: no PSYNC from our old history, by
  // us or by our replicas (disconnected), until it completes.
  void attach_to_new_history();
  void start_stream_load(bool swap);
  void continue_stream_load();
  void finish_stream_load();
  // Loaded bytes pile up faster than they are loaded: stop reading.
  bool hold_reading() const;
  void become_connected();
  void apply_stream();
  // A command of the stream failed here: logged as Redis's CRITICAL line.
  void report_error_to_master(std::string_view command);
  // The link broke (or was killed): back to kIdle, reconnect from cron.
  void lost(const std::string& why);
  void close_socket();

  Replication& repl_;
  std::string host_;
  int64_t port_;
  State state_ = State::kIdle;
  Step step_ = Step::kPing;
  bool stopped_ = false;
  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  // tls-replication yes: the link runs over TLS (the context and the stream
  // over socket_; kept until the next connection, so that operations still
  // completing after a close find them).
  std::unique_ptr<asio::ssl::context> tls_ctx_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  bool use_tls_ = false;
  // Starts the TLS handshake on the connected socket (tls-replication yes).
  void start_tls();
  void on_link_ready();
  std::string in_;
  size_t in_pos_ = 0;
  std::string out_;
  std::string sending_;
  bool writing_ = false;
  bool reading_ = false;
  // Bumped when the socket closes: a read completing after that finds its
  // buffer gone and must not touch in_.
  uint64_t generation_ = 0;
  static constexpr size_t kReadChunk = 64 * 1024;
  int64_t last_io_ms_ = 0;
  int64_t last_ack_s_ = 0;
  int64_t state_since_ms_ = 0;
  // +FULLRESYNC's ID and offset.
  std::string sync_replid_;
  int64_t sync_offset_ = 0;
  // The snapshot being received.
  int tmp_fd_ = -1;
  std::string tmp_path_;
  // The streaming load, and its state: a slice is posted to run after the
  // loop's other work; reading waits while too much is buffered.
  std::unique_ptr<persist::ReplicaLoad> load_;
  bool load_slice_posted_ = false;
  bool read_held_ = false;
  // The whole snapshot was received (the mark, or the length's last byte).
  bool transfer_done_ = false;
  bool eof_mode_ = false;
  std::string eof_mark_;
  std::string eof_tail_;  // the last bytes received (the mark ends them)
  int64_t bulk_left_ = 0;
  // The master client: its commands are the stream.
  engine::Client client_;
  bool client_registered_ = false;
  protocol::OutputBuffer scratch_;
  protocol::ReplyWriter writer_;
  protocol::RequestParser parser_;
};

}  // namespace kvd::server
