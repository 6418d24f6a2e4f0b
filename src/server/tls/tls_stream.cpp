// Reading and writing a TLS session on a non-blocking socket. The calls
// mirror socket_io.cpp's for plain sockets, so the connections treat both
// alike: kDrained / kWouldBlock mean "wait for the socket", kClosed /
// kError mean the connection is over.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/uio.h>

#include "kvd/server/tls.hpp"

namespace kvd::server {

std::string openssl_error_text() {
  const unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

TlsStream::~TlsStream() {
  SSL_free(ssl_);
}

bool TlsStream::handshake_done() const {
  return SSL_is_init_finished(ssl_) != 0;
}

bool TlsStream::would_block(int ret) {
  const int e = SSL_get_error(ssl_, ret);
  if (e == SSL_ERROR_WANT_READ) {
    wants_write_ = false;
    return true;
  }
  if (e == SSL_ERROR_WANT_WRITE) {
    wants_write_ = true;
    return true;
  }
  if (e == SSL_ERROR_ZERO_RETURN) {
    error_ = "connection closed by peer";
  } else if (e == SSL_ERROR_SYSCALL) {
    error_ = ret == 0 ? "unexpected EOF" : openssl_error_text();
  } else {
    error_ = openssl_error_text();  // a plain-text client, a bad certificate ...
  }
  ERR_clear_error();
  // Redis logs a failed handshake at verbose level (a port scanner, a
  // plain-text client, a certificate the CA did not sign).
  if (!SSL_is_init_finished(ssl_)) spdlog::debug("Error accepting a client connection: {}", error_);
  return false;
}

QueryBuffer::Read TlsStream::read_into(QueryBuffer& in, size_t* got) {
  *got = 0;
  const size_t space = in.free_space();
  if (space == 0) return QueryBuffer::Read::kFull;
  const int want = space > static_cast<size_t>(INT32_MAX) ? INT32_MAX : static_cast<int>(space);
  ERR_clear_error();
  const int n = SSL_read(ssl_, in.room(), want);
  if (n > 0) {
    wants_write_ = false;
    *got = static_cast<size_t>(n);
    QueryBuffer::Read r = in.commit(static_cast<size_t>(n));
    // Bytes OpenSSL already decrypted (or holds in a record) never make the
    // socket readable again: ask for another read now.
    if (SSL_pending(ssl_) > 0 || SSL_has_pending(ssl_)) return QueryBuffer::Read::kFull;
    return r;
  }
  return would_block(n) ? QueryBuffer::Read::kDrained : QueryBuffer::Read::kClosed;
}

WriteResult TlsStream::write_out(protocol::OutputBuffer& out, uint64_t* written) {
  *written = 0;
  while (!out.empty()) {
    struct iovec iov[1];
    out.fill_iovec(iov, 1);
    const size_t len = iov[0].iov_len;
    const int want = len > static_cast<size_t>(INT32_MAX) ? INT32_MAX : static_cast<int>(len);
    ERR_clear_error();
    // SSL_MODE_ENABLE_PARTIAL_WRITE: a full socket takes part of a block;
    // SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER: the retry may come from another
    // address after the buffer moved.
    const int n = SSL_write(ssl_, iov[0].iov_base, want);
    if (n > 0) {
      wants_write_ = false;
      out.consume(static_cast<size_t>(n));
      *written += static_cast<uint64_t>(n);
      continue;
    }
    return would_block(n) ? WriteResult::kWouldBlock : WriteResult::kError;
  }
  return WriteResult::kDone;
}

void TlsStream::shutdown() {
  if (!SSL_is_init_finished(ssl_)) return;
  ERR_clear_error();
  (void)SSL_shutdown(ssl_);  // one attempt: close_notify if the socket has room
  ERR_clear_error();
}

}  // namespace kvd::server
