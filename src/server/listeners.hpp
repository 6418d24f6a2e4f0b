#pragma once

#include <asio.hpp>
#include <string>

#include "kvd/server/server.hpp"

// The server's listening sockets (server.cpp opens them, tls/ adds the
// tls-port ones).
namespace kvd::server {

struct Server::TcpListener {
  explicit TcpListener(asio::io_context& io) : acceptor(io) {}
  asio::ip::tcp::acceptor acceptor;
  bool tls = false;         // a tls-port listener: its clients speak TLS
  uint32_t drops_seen = 0;  // the kernel's overflow count at the last check
};

struct Server::UnixListener {
  explicit UnixListener(asio::io_context& io) : acceptor(io) {}
  asio::local::stream_protocol::acceptor acceptor;
  std::string path;
};

}  // namespace kvd::server
