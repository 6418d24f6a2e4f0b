#pragma once
// A small blocking TLS client for the TLS tests (Debian 12's hiredis 0.14
// has no TLS): OpenSSL for the session, hiredis's reply reader for RESP.
// Also the test certificates, made with the openssl tool.

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "kvd_process.hpp"

namespace kvd::itest {

// A CA, a server certificate for 127.0.0.1 and a client certificate, all
// signed by the CA, in `dir` (ca.crt, server.{crt,key}, client.{crt,key}),
// plus a second server certificate (server2.*) for reload tests. True when
// openssl made them all.
inline bool make_test_certs(const std::string& dir) {
  const std::string q = "cd '" + dir + "' && ";
  const std::string quiet = " >/dev/null 2>&1";
  auto run = [&](const std::string& cmd) { return std::system((q + cmd + quiet).c_str()) == 0; };
  if (!run("openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 2 -subj '/CN=kvd test CA'"
           " -keyout ca.key -out ca.crt"))
    return false;
  for (const char* name : {"server", "server2", "client"}) {
    const std::string n = name;
    const std::string ext =
        n == "client" ? "extendedKeyUsage=clientAuth" : "subjectAltName=IP:127.0.0.1";
    if (!run("openssl req -new -nodes -newkey rsa:2048 -subj '/CN=" + n + "' -keyout " + n +
             ".key -out " + n + ".csr") ||
        !run("printf '" + ext + "\\n' > " + n + ".ext") ||
        !run("openssl x509 -req -sha256 -days 2 -in " + n +
             ".csr -CA ca.crt -CAkey ca.key"
             " -CAcreateserial -extfile " +
             n + ".ext -out " + n + ".crt"))
      return false;
  }
  return true;
}

class TlsClient {
 public:
  // Connects and completes the handshake; ok() says whether it did. With
  // cert/key empty, no client certificate is offered.
  TlsClient(int port, const std::string& ca, const std::string& cert = "",
            const std::string& key = "") {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (!cert.empty()) {
      SSL_CTX_use_certificate_file(ctx_, cert.c_str(), SSL_FILETYPE_PEM);
      SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM);
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    connected_ = SSL_connect(ssl_) == 1;
    reader_ = redisReaderCreate();
  }
  ~TlsClient() {
    if (reader_) redisReaderFree(reader_);
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool ok() const { return connected_; }
  // In TLS 1.3 the server checks the client certificate after the client's
  // handshake has finished: a refusal shows on the first read instead.
  SSL* ssl() { return ssl_; }

  bool send_raw(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      int n = SSL_write(ssl_, bytes.data() + off, static_cast<int>(bytes.size() - off));
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  bool send(const std::vector<std::string>& args) { return send_raw(resp(args)); }

  // The next reply as hiredis parses it, or null when the connection ends.
  std::unique_ptr<redisReply, void (*)(void*)> read_reply() {
    while (true) {
      void* reply = nullptr;
      if (redisReaderGetReply(reader_, &reply) != REDIS_OK) break;
      if (reply) return {static_cast<redisReply*>(reply), freeReplyObject};
      char buf[16384];
      int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) break;
      redisReaderFeed(reader_, buf, static_cast<size_t>(n));
    }
    return {nullptr, freeReplyObject};
  }
  // A command's reply as text: the string, status or error, or the integer.
  std::string call(const std::vector<std::string>& args) {
    if (!send(args)) return "<send failed>";
    auto r = read_reply();
    if (!r) return "<closed>";
    if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
    if (r->type == REDIS_REPLY_NIL) return "<nil>";
    if (r->type == REDIS_REPLY_ARRAY) return "<array " + std::to_string(r->elements) + ">";
    return std::string(r->str, r->len);
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
  redisReader* reader_ = nullptr;
};

}  // namespace kvd::itest
