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

struct SchedulerWork {
  using type = asio::detail::atomic_count asio::detail::scheduler::*;
  friend type member_of(SchedulerWork);
};
template struct Expose<SchedulerWork, &asio::detail::scheduler::outstanding_work_>;

}  // namespace

int asio_reactor_fd(asio::io_context& io) {
  auto& reactor = asio::use_service<asio::detail::epoll_reactor>(io);
  return reactor.*member_of(ReactorEpollFd{});
}

long asio_outstanding_work(asio::io_context& io) {
  auto& scheduler = asio::use_service<asio::detail::scheduler>(io);
  return static_cast<long>(scheduler.*member_of(SchedulerWork{}));
}

}  // namespace kvd::server
