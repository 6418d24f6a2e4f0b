#include "kvd/server/io_threads.hpp"

#include <pthread.h>

#include <string>

#include "kvd/engine/memory.hpp"
#include "kvd/server/threaded_connection.hpp"

namespace kvd::server {

IoThread::IoThread(int index)
    : index_(index), work_(asio::make_work_guard(io_)), inbox_(io_, [](IoJob& job) {
        job.conn->on_io_job(job);
        // Replies written free what the main thread allocated: count it.
        engine::publish_thread_allocations();
      }) {
  thread_ = std::thread([this] {
    std::string name = "kvd-io-" + std::to_string(index_);
#if defined(__APPLE__)
    pthread_setname_np(name.c_str());
#else
    pthread_setname_np(pthread_self(), name.c_str());
#endif
    io_.run();
  });
}

void IoThread::release_memory_soon() {
  if (flush_posted_) return;
  flush_posted_ = true;
  // After the jobs already queued: one flush for all the connections a cron
  // tick trimmed, not one each.
  asio::post(io_, [this] {
    flush_posted_ = false;
    engine::release_thread_memory();
  });
}

IoThread::~IoThread() {
  stop();
}

void IoThread::stop() {
  if (!thread_.joinable()) return;
  // Posted after every job already queued, so pending closes still happen.
  asio::post(io_, [this] { io_.stop(); });
  thread_.join();
}

IoThreadGroup::IoThreadGroup(asio::io_context& main, ClientPoller& poller, int threads)
    : poller_(poller),
      // The main thread sleeps in the poller, not in Asio: the poller wakes it.
      main_inbox_(
          main, [this](MainJob& job) { on_main_job(job); }, [&poller] { poller.wake(); }) {
  poller_.set_wake_handler([this] { drain_main(); });
  for (int i = 1; i < threads; ++i) threads_.push_back(std::make_unique<IoThread>(i));
}

IoThreadGroup::~IoThreadGroup() {
  stop();
}

IoThread& IoThreadGroup::pick() {
  IoThread* best = threads_.front().get();
  for (auto& t : threads_) {
    if (t->clients.load(std::memory_order_relaxed) <
        best->clients.load(std::memory_order_relaxed)) {
      best = t.get();
    }
  }
  return *best;
}

void IoThreadGroup::stop() {
  for (auto& t : threads_) t->stop();
}

void IoThreadGroup::on_main_job(MainJob& job) {
  if (job.kind != MainJob::Kind::kReadDone) {
    job.conn->on_main_job(job);
    return;
  }
  // Every read handed out answers exactly once, so the slot of each number
  // below next_seq_ fills in the end and nothing waits forever.
  const size_t slot = static_cast<size_t>(job.seq - next_run_);
  if (done_.size() <= slot) done_.resize(slot + 1);
  done_[slot] = std::move(job);
  run_in_order();
}

void IoThreadGroup::run_in_order() {
  // Re-entrant: a batch may run a slow script that serves events, whose
  // finished reads run from here too. The number moves on before the batch
  // runs, so the nested call takes the next one.
  while (!done_.empty() && done_.front().conn) {
    MainJob next = std::move(done_.front());
    done_.pop_front();
    ++next_run_;
    next.conn->on_main_job(next);
  }
}

uint64_t IoThreadGroup::reads_processed() const {
  uint64_t n = 0;
  for (const auto& t : threads_) n += t->reads_processed.load(std::memory_order_relaxed);
  return n;
}

uint64_t IoThreadGroup::writes_processed() const {
  uint64_t n = 0;
  for (const auto& t : threads_) n += t->writes_processed.load(std::memory_order_relaxed);
  return n;
}

uint64_t IoThreadGroup::take_output_bytes() {
  uint64_t n = 0;
  for (auto& t : threads_) n += t->output_bytes.exchange(0, std::memory_order_relaxed);
  return n;
}

uint64_t IoThreadGroup::take_query_buffer_limit_disconnections() {
  uint64_t n = 0;
  for (auto& t : threads_) n += t->query_buffer_limit_disconnections.exchange(0);
  return n;
}

}  // namespace kvd::server
