#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kvd/engine/engine.hpp"
#include "kvd/persist/rdb_stream_loader.hpp"

// A replica's load of its master's snapshot while it streams in
// (repl-diskless-load on-empty-db / swapdb), as Redis 7 does it:
// - into the live databases, which the caller has just emptied (clients get
//   LOADING meanwhile; a failed transfer leaves them empty);
// - with `swap`, into spare databases that replace the live ones only when
//   the image is complete, so that a failed transfer leaves the old data as
//   it was. With `async` too (the master continues our own history, so the
//   old data is an earlier point of the same dataset) clients keep being
//   served the old data meanwhile, and INFO says async_loading:1.
// Function libraries replace the old ones when the load is committed.
namespace kvd::persist {

class ReplicaLoad {
 public:
  ReplicaLoad(engine::Engine& e, bool swap, bool async);
  ~ReplicaLoad();
  ReplicaLoad(const ReplicaLoad&) = delete;
  ReplicaLoad& operator=(const ReplicaLoad&) = delete;

  void append(std::string_view bytes) { loader_.append(bytes); }
  void end_of_input() { loader_.end_of_input(); }
  // Reads what arrived for at most budget_us (at least one record).
  RdbStreamLoader::Status parse(int64_t budget_us);
  const std::string& error() const { return loader_.error(); }
  size_t buffered() const { return loader_.buffered(); }
  std::string_view trailing() const { return loader_.trailing(); }
  uint64_t consumed() const { return loader_.consumed(); }
  bool async() const { return async_; }

  // The image is complete: the loaded data goes live. "" or why it cannot
  // (the old data is then left as abort() leaves it). *stream_db: the
  // image's repl-stream-db (0 when absent).
  std::string commit(int* stream_db);
  // The transfer failed: whatever was loaded goes.
  void abort();

 private:
  engine::Database& target(int db) { return swap_ ? *spare_[db] : engine_.db(db); }
  void on_key(int db, std::string key, engine::Value v, int64_t expire_ms, const KeyAccess& access);
  void end_loading();

  engine::Engine& engine_;
  bool swap_;
  bool async_;
  bool ended_ = false;
  int64_t key_load_delay_ = 0;
  int stream_db_ = 0;
  std::string duplicate_;
  std::vector<std::string> libraries_;
  std::vector<std::unique_ptr<engine::Database>> spare_;
  RdbStreamLoader loader_;
};

}  // namespace kvd::persist
