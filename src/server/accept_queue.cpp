#include "kvd/server/accept_queue.hpp"

#if defined(__linux__)
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#endif

namespace kvd::server {

AcceptQueue read_accept_queue(int listen_fd) {
  AcceptQueue q;
#if defined(__linux__)
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(listen_fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return q;
  // On a listening socket the kernel reports the accept queue in these two
  // fields: its current length and its maximum.
  q.queued = info.tcpi_unacked;
  q.backlog = info.tcpi_sacked;
  // A full queue drops the handshake and counts it in the socket's drops.
  uint32_t mem[SK_MEMINFO_VARS] = {};
  len = sizeof mem;
  if (::getsockopt(listen_fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == 0 &&
      len > SK_MEMINFO_DROPS * sizeof(uint32_t)) {
    q.drops = mem[SK_MEMINFO_DROPS];
  }
  q.known = true;
#else
  (void)listen_fd;
#endif
  return q;
}

}  // namespace kvd::server
