#pragma once
// Progress of a dataset load at start-up. Redis answers clients while it
// loads (LOADING to most commands; INFO shows how far it got), serving its
// event loop every loading-process-events-interval-bytes bytes; kvd does the
// same through the engine's hooks, so a big file never leaves connections
// unanswered.
#include <cstdint>

#include "kvd/engine/engine.hpp"

namespace kvd::persist {

// Marks a load for its lifetime: the engine answers LOADING, INFO shows
// loading:1 and the loading_* fields. With serve_clients, loaders let the
// loop serve clients as they go (start-up only: a command that loads, like
// DEBUG RELOAD, holds the loop as in Redis).
class LoadingScope {
 public:
  LoadingScope(engine::Engine& e, bool serve_clients);
  ~LoadingScope();
  LoadingScope(const LoadingScope&) = delete;
  LoadingScope& operator=(const LoadingScope&) = delete;

 private:
  engine::Engine& e_;
  bool was_loading_;
};

// A file of `bytes` is about to be loaded (adds to loading_total_bytes).
void loading_add_total(engine::Engine& e, uint64_t bytes);
// `bytes` more were loaded; serves clients when an interval was crossed.
void loading_advance(engine::Engine& e, uint64_t bytes);

}  // namespace kvd::persist
