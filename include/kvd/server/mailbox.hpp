#pragma once

#include <asio.hpp>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace kvd::server {

// Items sent from any thread to the thread running one io_context. push() wakes
// the consumer only when the queue goes from empty to non-empty, so a burst of
// items costs one wake-up and the consumer handles them all in one go. A
// sleeping consumer costs nothing: it waits in its reactor like any idle loop.
template <class T>
class Mailbox {
 public:
  using Handler = std::function<void(T&)>;

  Mailbox(asio::io_context& io, Handler handler) : io_(io), handler_(std::move(handler)) {}
  // A consumer that does not sleep in Asio (the main thread sleeps in its
  // ClientPoller): `notify` wakes it, from any thread, and it calls drain().
  Mailbox(asio::io_context& io, Handler handler, std::function<void()> notify)
      : io_(io), handler_(std::move(handler)), notify_(std::move(notify)) {}
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  void push(T item) {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      wake = items_.empty();
      items_.push_back(std::move(item));
    }
    if (!wake) return;
    if (notify_) {
      notify_();
    } else {
      asio::post(io_, [this] { drain(); });
    }
  }

  // Runs the queued items now, on the consumer's thread. Re-entrant: a handler
  // may run the event loop (a slow script serving other clients), and the
  // drain that runs then must also serve the items queued behind that handler,
  // or they would wait for it to end. So drains share one queue and one read
  // position. Items taken by the outer drain in the same swap as the slow one
  // have no drain of their own posted: whoever runs the loop from inside a
  // handler calls this too.
  void drain() {
    const bool outer = !draining_;
    draining_ = true;
    // The outermost drain resets the shared state even if a handler throws.
    struct Reset {
      Mailbox* m;
      bool outer;
      ~Reset() {
        if (!outer) return;
        m->taking_.clear();
        m->next_ = 0;
        m->draining_ = false;
      }
    } reset{this, outer};
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (taking_.empty()) {
        taking_.swap(items_);
      } else {
        for (auto& item : items_) taking_.push_back(std::move(item));
        items_.clear();
      }
    }
    while (next_ < taking_.size()) {
      T item = std::move(taking_[next_++]);  // taking_ may grow under the handler
      handler_(item);
    }
  }

  // Whether items wait (for tests and for a drain that must know).
  bool empty() {
    std::lock_guard<std::mutex> lock(mu_);
    return items_.empty();
  }

 private:
  asio::io_context& io_;
  Handler handler_;
  std::function<void()> notify_;
  std::mutex mu_;
  std::vector<T> items_;   // guarded by mu_
  std::vector<T> taking_;  // consumer thread only
  size_t next_ = 0;        // consumer thread only: next job of taking_
  bool draining_ = false;  // consumer thread only
};

}  // namespace kvd::server
