#include "kvd/server/asio_internals.hpp"

namespace kvd::server {

namespace {

// Asio keeps these members private. An explicit template instantiation may
// name a private member (C++ [temp.explicit]), which is the one standard way
// to read them without patching Asio: the friend function returns the
// member pointer. Only this file knows the members' names; an Asio that
// renames them fails to compile here, loudly.
template <typename Tag, typename Tag::type Member>
struct Expose {
  friend typename Tag::type member_of(Tag) { return Member; }
};

struct ReactorEpollFd {
  using type = int asio::detail::epoll_reactor::*;
  friend type member_of(ReactorEpollFd);
};
template struct Expose<ReactorEpollFd, &asio::detail::epoll_reactor::epoll_fd_>;

struct SchedulerMutex {
  using type = asio::detail::conditionally_enabled_mutex asio::detail::scheduler::*;
  friend type member_of(SchedulerMutex);
};
template struct Expose<SchedulerMutex, &asio::detail::scheduler::mutex_>;

struct SchedulerQueue {
  using type = asio::detail::op_queue<asio::detail::scheduler_operation> asio::detail::scheduler::*;
  friend type member_of(SchedulerQueue);
};
template struct Expose<SchedulerQueue, &asio::detail::scheduler::op_queue_>;

// The queue holds a marker for the reactor's turn; its type is private, so
// its address comes out as the base class it derives from.
asio::detail::scheduler_operation* task_marker_of(asio::detail::scheduler& s);
template <auto Member>
struct ExposeTaskMarker {
  friend asio::detail::scheduler_operation* task_marker_of(asio::detail::scheduler& s) {
    return &(s.*Member);
  }
};
template struct ExposeTaskMarker<&asio::detail::scheduler::task_operation_>;

}  // namespace

bool asio_handlers_queued(asio::io_context& io) {
  auto& scheduler = asio::use_service<asio::detail::scheduler>(io);
  asio::detail::conditionally_enabled_mutex::scoped_lock lock(scheduler.*
                                                              member_of(SchedulerMutex{}));
  auto& queue = scheduler.*member_of(SchedulerQueue{});
  auto* front = asio::detail::op_queue_access::front(queue);
  auto* back = asio::detail::op_queue_access::back(queue);
  auto* marker = task_marker_of(scheduler);
  // Empty, or only the reactor's marker: nothing to run without the reactor.
  return front != nullptr && !(front == marker && back == marker);
}

int asio_reactor_fd(asio::io_context& io) {
  auto& reactor = asio::use_service<asio::detail::epoll_reactor>(io);
  return reactor.*member_of(ReactorEpollFd{});
}

}  // namespace kvd::server
