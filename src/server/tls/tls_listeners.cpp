// tls-port: its listeners and the TLS context, at start-up and under CONFIG
// SET, with Redis's log lines and CONFIG SET errors. The connections on
// these listeners are the usual ones with a TlsStream attached (admit()).
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "../listeners.hpp"
#include "kvd/server/server.hpp"

namespace kvd::server {
namespace {

int64_t tls_port(const engine::Config& config) {
  return std::atoll(config.get("tls-port").value_or("0").c_str());
}

}  // namespace

bool Server::listen_tls() {
  const int64_t port = tls_port(config_);
  if (port == 0) return true;
  std::string why = tls_.configure(config_);
  if (!why.empty()) {
    spdlog::warn("{}", why);
    spdlog::warn("Failed to configure TLS. Check logs for more info.");
    return false;
  }
  if (!open_tcp_listeners(port, config_.v().bind, &tls_listeners_, &why)) {
    spdlog::warn("Warning: Could not create server TCP listening socket {}", why);
    spdlog::warn("Failed listening on port {} (tls), aborting.", port);
    return false;
  }
  tls_listening_port_ = port;
  for (auto& l : tls_listeners_) {
    l->tls = true;
    accept_tcp(*l);
  }
  return true;
}

// CONFIG SET tls-port (or bind): the new sockets open after the old close;
// when they cannot, the old port comes back and the command fails.
std::string Server::rebind_tls() {
  if (stopping_) return "";
  const int64_t port = tls_port(config_);
  if (port == tls_listening_port_ && config_.v().bind == listening_bind_ &&
      (port == 0 || !tls_listeners_.empty()))
    return "";
  if (port != 0 && !tls_.ready()) {
    std::string why = tls_.configure(config_);
    if (!why.empty()) {
      spdlog::warn("{}", why);
      return "Unable to update TLS configuration. Check server logs.";
    }
  }
  auto closed = std::make_shared<std::vector<std::unique_ptr<TcpListener>>>();
  closed->swap(tls_listeners_);
  std::error_code ec;
  for (auto& l : *closed) l->acceptor.close(ec);
  asio::post(io_, [closed] {});  // their aborted accepts run first
  std::string why, result;
  if (port != 0 && !open_tcp_listeners(port, config_.v().bind, &tls_listeners_, &why)) {
    spdlog::warn("Could not listen on the TLS port as configured: {}", why);
    tls_listeners_.clear();
    if (tls_listening_port_ != 0 &&
        !open_tcp_listeners(tls_listening_port_, listening_bind_, &tls_listeners_, &why))
      spdlog::warn("Could not listen again on the TLS port as before: {}", why);
    result = "Unable to listen on this port. Check server logs.";
  } else {
    tls_listening_port_ = port;
  }
  for (auto& l : tls_listeners_) {
    l->tls = true;
    accept_tcp(*l);
  }
  return result;
}

// CONFIG SET of a certificate, key, CA, protocol or cipher setting: a new
// context for new connections (certificates reloaded without a restart);
// a bad one fails the command and the old context stays.
std::string Server::reconfigure_tls() {
  if (tls_port(config_) == 0) return "";
  std::string why = tls_.configure(config_);
  if (why.empty()) return "";
  spdlog::warn("{}", why);
  return "Unable to update TLS configuration. Check server logs.";
}

}  // namespace kvd::server
