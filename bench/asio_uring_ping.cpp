// The other candidate for kvd's io_uring transport: Asio's own io_uring
// backend (ASIO_HAS_IO_URING with ASIO_DISABLE_EPOLL), serving the least a
// server can: each "PING\r\n" line read gets "+PONG\r\n". scripts/transport-choice
// builds it and counts its system calls per request against kvd's liburing
// transport under the same redis-benchmark -t ping_inline load; kvd does more
// work per request, so the comparison can only flatter this one.
//
//   asio_uring_ping PORT
#include <asio.hpp>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(asio::ip::tcp::socket s) : socket_(std::move(s)) {}
  void read() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buf_), [self](std::error_code ec, size_t n) {
      if (ec) return;
      self->serve(n);
    });
  }

 private:
  void serve(size_t n) {
    pending_.append(buf_, n);
    std::string out;
    size_t pos;
    while ((pos = pending_.find("\r\n")) != std::string::npos) {
      out += "+PONG\r\n";
      pending_.erase(0, pos + 2);
    }
    if (out.empty()) {
      read();
      return;
    }
    reply_ = std::move(out);
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(reply_), [self](std::error_code ec, size_t) {
      if (!ec) self->read();
    });
  }
  asio::ip::tcp::socket socket_;
  char buf_[16384];
  std::string pending_, reply_;
};

void accept(asio::ip::tcp::acceptor& a) {
  a.async_accept([&a](std::error_code ec, asio::ip::tcp::socket s) {
    if (!ec) {
      s.set_option(asio::ip::tcp::no_delay(true));
      std::make_shared<Session>(std::move(s))->read();
    }
    accept(a);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  asio::io_context io(1);
  asio::ip::tcp::acceptor a(
      io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                  static_cast<unsigned short>(std::atoi(argv[1]))));
  accept(a);
  io.run();
}
