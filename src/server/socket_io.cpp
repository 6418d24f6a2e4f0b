#include "kvd/server/socket_io.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

namespace kvd::server {

QueryBuffer::Read QueryBuffer::read_from(int fd, size_t* got) {
  *got = 0;
  const size_t space = buf_.size() - end_;
  while (true) {
    ssize_t n = ::read(fd, buf_.data() + end_, space);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
      *got = static_cast<size_t>(n);
      return static_cast<size_t>(n) == space ? Read::kFull : Read::kDrained;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Read::kDrained;
    return Read::kClosed;
  }
}

WriteResult write_out(int fd, protocol::OutputBuffer& out, uint64_t* written) {
  *written = 0;
  while (!out.empty()) {
    struct iovec iov[64];
    int cnt = out.fill_iovec(iov, 64);
    // send() for one block: MSG_NOSIGNAL spares us SIGPIPE on a dead peer.
    ssize_t n = cnt == 1 ? ::send(fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL)
                         : ::writev(fd, iov, cnt);
    if (n > 0) {
      out.consume(static_cast<size_t>(n));
      *written += static_cast<uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return WriteResult::kWouldBlock;
    return WriteResult::kError;
  }
  return WriteResult::kDone;
}

}  // namespace kvd::server
