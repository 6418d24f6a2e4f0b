#pragma once

#include <asio.hpp>

// Two facts Asio keeps to itself that the main loop needs, because it sleeps
// in its own epoll_wait (ClientPoller) rather than in Asio's (Server::run).
namespace kvd::server {

// The epoll descriptor of the io_context's reactor: the main loop's epoll set
// holds it, so one wait covers the client sockets and everything Asio
// watches (timers, listeners, replication links).
int asio_reactor_fd(asio::io_context& io);

// Asio's count of unfinished work: posting a handler, or starting an
// operation that completes at once, raises it. The main loop compares it
// across a round of client requests to know whether Asio has anything to run
// without asking its reactor (one system call per round saved).
long asio_outstanding_work(asio::io_context& io);

}  // namespace kvd::server
