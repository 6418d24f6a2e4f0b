#pragma once

#include <asio.hpp>

// Two facts Asio keeps to itself that the main loop needs, because it sleeps
// in its own epoll_wait (ClientPoller) rather than in Asio's (Server::run).
namespace kvd::server {

// The epoll descriptor of the io_context's reactor: the main loop's epoll set
// holds it, so one wait covers the client sockets and everything Asio
// watches (timers, listeners, replication links).
int asio_reactor_fd(asio::io_context& io);

// Whether handlers wait in Asio's queue (posted, completed at once, or
// cancelled by a close): the main loop runs Asio after a round of client
// requests only if so or if its reactor is ready, which spares a system call
// per round. Asio's own wake-up for queued work only reaches a thread that
// sleeps in its reactor, and the main thread never does.
bool asio_handlers_queued(asio::io_context& io);

}  // namespace kvd::server
