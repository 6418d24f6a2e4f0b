#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "kvd/engine/config.hpp"
#include "kvd/protocol/output_buffer.hpp"
#include "kvd/server/socket_io.hpp"

struct ssl_st;
struct ssl_ctx_st;

// TLS with OpenSSL, configured as Redis configures it (tls-cert-file,
// tls-key-file, tls-ca-cert-file, tls-auth-clients, tls-protocols, ...).
//
// A TLS connection is a plain non-blocking socket with a TlsStream beside
// it: the connection reads and writes through the stream instead of read(2)
// and writev(2), on whichever thread owns the socket (the main loop, or an
// I/O thread with io-threads > 1, which then does the crypto). The handshake
// needs no state of its own: the first reads drive it, a step at a time, as
// the peer's bytes arrive, so it never blocks the loop.
namespace kvd::server {

// OpenSSL's latest error as text ("unknown error" when it has none), and
// its error queue emptied.
std::string openssl_error_text();

// One TLS session over a connected socket (server side).
class TlsStream {
 public:
  explicit TlsStream(ssl_st* ssl) : ssl_(ssl) {}
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Decrypts into the room `in` has (after in.prepare()), as
  // QueryBuffer::read_from reads a plain socket. kFull also when OpenSSL
  // holds decrypted bytes the room had no space for: the socket will not
  // wake us for those.
  QueryBuffer::Read read_into(QueryBuffer& in, size_t* got);
  // Encrypts and sends `out` until it is empty or the socket is full.
  WriteResult write_out(protocol::OutputBuffer& out, uint64_t* written);
  // The handshake (or a renegotiation) must write before it can read on:
  // wait for writability rather than readability.
  bool wants_write() const { return wants_write_; }
  // Sends close_notify if the socket takes it; never waits.
  void shutdown();
  // Why the session failed, for the log ("" if it did not).
  const std::string& error() const { return error_; }
  bool handshake_done() const;

 private:
  // Classifies a failed SSL_read/SSL_write: true if the socket is fine and
  // only has to become readable or writable.
  bool would_block(int ret);

  ssl_st* ssl_;
  bool wants_write_ = false;
  std::string error_;
};

// The server's TLS configuration: an SSL_CTX built from the tls-* settings.
// Rebuilt whole by configure() (start-up, and CONFIG SET of any tls-*
// setting), so certificates are reloaded without a restart; sessions made
// before keep the context they were made with.
class TlsContext {
 public:
  TlsContext() = default;
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Builds a context from the configuration. "" on success (the new context
  // replaces the old); otherwise the reason, and the old context stays.
  std::string configure(const engine::Config& config);
  bool ready() const { return ctx_ != nullptr; }
  // A server-side session on a connected, non-blocking socket, or null.
  std::unique_ptr<TlsStream> accept(int fd) const;

 private:
  ssl_ctx_st* ctx_ = nullptr;
};

// The tls-* settings whose change rebuilds the context (CONFIG SET).
extern const char* const kTlsContextSettings[];
extern const size_t kTlsContextSettingCount;

}  // namespace kvd::server
