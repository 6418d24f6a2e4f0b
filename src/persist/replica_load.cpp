#include "kvd/persist/replica_load.hpp"

#include <spdlog/spdlog.h>

#include "kvd/common/strings.hpp"
#include "kvd/engine/functions.hpp"

namespace kvd::persist {

ReplicaLoad::ReplicaLoad(engine::Engine& e, bool swap, bool async)
    : engine_(e),
      swap_(swap),
      async_(swap && async),
      // A replica keeps keys whose deadline passed until its master's DEL.
      loader_(
          decode_limits(e.config().v()), INT64_MIN,
          [this](int db, std::string key, engine::Value v, int64_t expire_ms,
                 const KeyAccess& access) {
            on_key(db, std::move(key), std::move(v), expire_ms, access);
          },
          [this](std::string code) {
            libraries_.push_back(std::move(code));
            return std::string();
          },
          [this](std::string_view name, std::string_view value) {
            int64_t n = 0;
            if (name == "repl-stream-db" && parse_int64(value, &n))
              stream_db_ = static_cast<int>(n);
            if (name == "used-mem" && parse_int64(value, &n) && n > 0)
              engine_.snapshot_state().loading.rdb_used_mem = static_cast<uint64_t>(n);
          }) {
  if (swap_) spare_ = e.make_spare_dbs();
  engine::LoadingProgress& p = e.snapshot_state().loading;
  p = engine::LoadingProgress{};
  p.active = true;
  p.start_time_s = e.clock().now_ms() / 1000;
  if (async_) {
    e.set_async_loading(true);
  } else {
    e.set_loading(true);
  }
}

ReplicaLoad::~ReplicaLoad() {
  if (!ended_) abort();
}

void ReplicaLoad::on_key(int db, std::string key, engine::Value v, int64_t expire_ms,
                         const KeyAccess& access) {
  if (key_load_delay_ != 0) key_delay(key_load_delay_);
  if (db < 0 || db >= engine_.db_count()) {  // more databases than configured
    v.destroy();
    return;
  }
  engine::Database& d = target(db);
  if (d.find_raw(key)) {
    if (duplicate_.empty())
      duplicate_ = "RDB has duplicated key '" + key + "' in DB " + std::to_string(db);
    v.destroy();
    return;
  }
  engine::Entry* entry = d.set(key, std::move(v));
  if (expire_ms >= 0) d.set_expire(entry, expire_ms);
  engine_.access_tracking().restore(entry, engine_.clock().now_ms(), access.idle_seconds,
                                    access.freq);
}

RdbStreamLoader::Status ReplicaLoad::parse(int64_t budget_us) {
  key_load_delay_ = engine_.config().v().key_load_delay;
  const int64_t deadline = engine_.clock().monotonic_us() + budget_us;
  auto status = loader_.parse(
      [&] { return duplicate_.empty() && engine_.clock().monotonic_us() < deadline; });
  engine_.snapshot_state().loading.loaded_bytes = loader_.consumed();
  if (!duplicate_.empty() && status != RdbStreamLoader::Status::kError) {
    // Reported like a malformed image: the load cannot go on.
    return RdbStreamLoader::Status::kError;
  }
  return status;
}

std::string ReplicaLoad::commit(int* stream_db) {
  if (!duplicate_.empty()) {
    abort();
    return duplicate_;
  }
  std::string err;
  if (!libraries_.empty() || engine_.functions_if_created()) {
    if (!engine_.functions().restore(libraries_, engine::FunctionStore::RestorePolicy::kFlush,
                                     &err)) {
      abort();
      return "Failed loading library, " + err;
    }
  }
  if (swap_) {
    spdlog::info("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
    engine_.swap_in_dbs(spare_);
    // The old data is freed in the background, as a FLUSHALL ASYNC.
    for (auto& db : spare_) db->clear(&engine_.freer());
    spare_.clear();
    spdlog::info("MASTER <-> REPLICA sync: Discarding old DB in background");
  }
  engine::SnapshotState& st = engine_.snapshot_state();
  st.last_load_keys_loaded = loader_.stats().keys_loaded;
  st.last_load_keys_expired = loader_.stats().keys_expired;
  *stream_db = stream_db_ >= 0 && stream_db_ < engine_.db_count() ? stream_db_ : 0;
  end_loading();
  return "";
}

void ReplicaLoad::abort() {
  if (ended_) return;
  spdlog::info("MASTER <-> REPLICA sync: Discarding the half-loaded data");
  if (swap_) {
    for (auto& db : spare_) db->clear(&engine_.freer());
    spare_.clear();
  } else {
    for (int i = 0; i < engine_.db_count(); ++i) engine_.db(i).clear(&engine_.freer());
  }
  end_loading();
}

void ReplicaLoad::end_loading() {
  ended_ = true;
  engine_.snapshot_state().loading = engine::LoadingProgress{};
  engine_.set_async_loading(false);
  engine_.set_loading(false);
}

}  // namespace kvd::persist
