#pragma once

#include <cstdint>

namespace kvd::server {

// A listening TCP socket's accept queue as the kernel reports it: the
// connections waiting for accept(), the backlog in force (tcp-backlog capped
// by net.core.somaxconn), and the connection attempts dropped because the
// queue was full (counted by the kernel on this socket since it was opened).
struct AcceptQueue {
  bool known = false;  // the kernel answered (Linux TCP only)
  uint32_t queued = 0;
  uint32_t backlog = 0;
  uint32_t drops = 0;
};

// Two getsockopt calls: cheap enough for every cron tick.
AcceptQueue read_accept_queue(int listen_fd);

}  // namespace kvd::server
