#include "kvd/persist/loading.hpp"

#include <algorithm>

namespace kvd::persist {

LoadingScope::LoadingScope(engine::Engine& e, bool serve_clients)
    : e_(e), was_loading_(e.loading_dataset()) {
  engine::LoadingProgress& p = e.snapshot_state().loading;
  p = engine::LoadingProgress{};
  p.active = true;
  p.serve_clients = serve_clients && e.hooks() != nullptr;
  p.start_time_s = e.clock().now_ms() / 1000;
  e.set_loading(true);
}

LoadingScope::~LoadingScope() {
  e_.snapshot_state().loading = engine::LoadingProgress{};
  e_.set_loading(was_loading_);
}

void loading_add_total(engine::Engine& e, uint64_t bytes) {
  engine::LoadingProgress& p = e.snapshot_state().loading;
  if (p.active) p.total_bytes += bytes;
}

void loading_advance(engine::Engine& e, uint64_t bytes) {
  engine::LoadingProgress& p = e.snapshot_state().loading;
  if (!p.active) return;
  p.loaded_bytes += bytes;
  if (!p.serve_clients) return;
  const auto interval = static_cast<uint64_t>(
      std::max<int64_t>(1, e.config().v().loading_process_events_interval_bytes));
  if (p.loaded_bytes / interval == p.served_at_bytes / interval) return;
  p.served_at_bytes = p.loaded_bytes;
  e.hooks()->process_events_while_busy();
}

}  // namespace kvd::persist
