#include "kvd/server/connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include "kvd/engine/pubsub.hpp"
#include "kvd/engine/replication.hpp"
#include "kvd/server/server.hpp"

namespace kvd::server {
namespace {

std::string endpoint_string(const sockaddr* sa) {
  char host[INET6_ADDRSTRLEN] = {0};
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in6->sin6_port));
  }
  return "?:0";
}

}  // namespace

void Connection::describe_and_tune(Socket& socket) {
  std::error_code ec;
  socket.non_blocking(true, ec);
  if (unix_) {
    peer_ = "/unixsocket:0";
    return;
  }
  auto rep = socket.remote_endpoint(ec);
  if (!ec) peer_ = endpoint_string(rep.data());

  int fd = socket.native_handle();
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int64_t keepalive = server_.config().v().tcp_keepalive;
  if (keepalive > 0) {
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
#ifdef TCP_KEEPIDLE
    int idle = static_cast<int>(keepalive);
    int intvl = idle / 3 > 0 ? idle / 3 : 1;
    int cnt = 3;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
#endif
  }
}

std::string Connection::local_address() const {
  if (unix_) return server_.config().v().unixsocket + ":0";
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  int fd = this->fd();
  if (fd < 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
  return endpoint_string(reinterpret_cast<const sockaddr*>(&ss));
}

bool Connection::output_limit_exceeded(const engine::Client& client, size_t used, int64_t now_ms) {
  const auto& v = server_.config().v();
  const bool replica = client.replica && client.replica->state != engine::ReplicaSyncState::kNone;
  const auto& lim = replica                          ? v.obuf_replica
                    : engine::in_pubsub_mode(client) ? v.obuf_pubsub
                                                     : v.obuf_normal;
  if (!output_limit_.exceeded(lim, used, now_ms)) return false;
  spdlog::warn(
      "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer "
      "limits.",
      client.id, peer_);
  ++server_.engine().stats().client_outbuf_limit_disconnections;
  return true;
}

void Connection::init_client(engine::Client& client, protocol::ReplyWriter& writer) {
  auto& eng = server_.engine();
  client.id = eng.next_client_id();
  client.created_ms = client.last_interaction_ms = eng.clock().now_ms();
  client.conn = this;
  client.writer = &writer;
}

}  // namespace kvd::server
