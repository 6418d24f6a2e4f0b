#include "kvd/engine/client_eviction.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "support/engine_harness.hpp"

namespace kvd::test {
namespace {

// A connection whose query buffer holds `bytes`; counts drops.
class SizedConn : public engine::ConnectionView {
 public:
  explicit SizedConn(size_t bytes) : bytes_(bytes) {}
  std::string peer_address() const override { return "127.0.0.1:40000"; }
  std::string local_address() const override { return "127.0.0.1:6379"; }
  int fd() const override { return 9; }
  size_t query_buffer_used() const override { return bytes_; }
  size_t query_buffer_free() const override { return 0; }
  size_t output_pending() const override { return 0; }
  size_t output_allocated() const override { return 0; }
  bool is_unix_socket() const override { return false; }
  void close_soon() override {}
  void drop_soon() override { ++dropped; }
  void schedule_flush() override {}
  void resume() override {}
  int dropped = 0;

 private:
  size_t bytes_;
};

struct Registered {
  Registered(engine::Engine& e, size_t bytes) : engine(e), conn(bytes) {
    c.id = e.next_client_id();
    c.conn = &conn;
    e.add_client(&c);
  }
  ~Registered() { engine.remove_client(&c); }
  engine::Engine& engine;
  SizedConn conn;
  engine::Client c;
};

TEST(ClientEviction, OffUntilConfiguredAndPercentOfMaxmemory) {
  EngineHarness h;
  auto& ev = h.engine().client_eviction();
  EXPECT_FALSE(ev.enabled());
  EXPECT_EQ(h.run({"CONFIG", "SET", "maxmemory-clients", "10%"}), kOk);
  EXPECT_FALSE(ev.enabled());  // a share of no maxmemory is no limit
  EXPECT_EQ(h.run({"CONFIG", "SET", "maxmemory", "1000000"}), kOk);
  EXPECT_EQ(ev.limit(), 100000u);
  EXPECT_EQ(h.run({"CONFIG", "SET", "maxmemory-clients", "64kb"}), kOk);
  EXPECT_EQ(ev.limit(), 65536u);
}

TEST(ClientEviction, EvictsBiggestFirstOnlyUntilUnderTheLimit) {
  EngineHarness h;
  auto big = std::make_unique<Registered>(h.engine(), 600 * 1024);
  auto mid = std::make_unique<Registered>(h.engine(), 300 * 1024);
  auto small = std::make_unique<Registered>(h.engine(), 100 * 1024);
  auto tiny = std::make_unique<Registered>(h.engine(), 1024);  // under 32 KB: never
  EXPECT_EQ(h.run({"CONFIG", "SET", "maxmemory-clients", "500kb"}), kOk);
  EXPECT_EQ(big->conn.dropped, 1);
  EXPECT_EQ(mid->conn.dropped, 0);
  EXPECT_EQ(small->conn.dropped, 0);
  EXPECT_EQ(h.engine().client_eviction().evicted(), 1u);
  // A later check does not count the evicted one again.
  h.engine().client_eviction().note(big->c);
  EXPECT_EQ(h.engine().client_eviction().evicted(), 1u);
  EXPECT_EQ(h.run({"CONFIG", "SET", "maxmemory-clients", "1"}), kOk);
  EXPECT_EQ(mid->conn.dropped, 1);
  EXPECT_EQ(small->conn.dropped, 1);
  EXPECT_EQ(tiny->conn.dropped, 0);
}

TEST(ClientEviction, NoEvictClientsAreSpared) {
  EngineHarness h;
  Registered a(h.engine(), 200 * 1024);
  a.c.no_evict = true;
  EXPECT_EQ(h.run({"CONFIG", "SET", "maxmemory-clients", "1"}), kOk);
  EXPECT_EQ(a.conn.dropped, 0);
  a.c.no_evict = false;
  h.engine().client_eviction().note(a.c);
  EXPECT_EQ(a.conn.dropped, 1);
}

TEST(ClientEviction, MeasureCountsMultiQueueWatchesAndSubscriptions) {
  EngineHarness h;
  size_t before = engine::measure_client(h.client()).total();
  h.run({"MULTI"});
  h.run({"SET", "k", std::string(1000, 'x')});
  engine::ClientMemory m = engine::measure_client(h.client());
  EXPECT_GE(m.multi, 1000u);
  h.run({"DISCARD"});
  h.run({"WATCH", "a", "b", "c"});
  EXPECT_GT(engine::measure_client(h.client()).total(), before);
}

}  // namespace
}  // namespace kvd::test
