#pragma once

// A fixture for scripts that run past busy-reply-threshold: a clock that
// moves on its own, and server hooks that let a test act where the server
// would serve other clients meanwhile.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kvd/commands/registry.hpp"
#include "kvd/engine/clock.hpp"
#include "kvd/engine/config.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/protocol/output_buffer.hpp"
#include "kvd/protocol/reply_writer.hpp"

namespace kvd::test {

// A clock that moves 1 ms every time the script's duration is read, so a
// busy loop passes busy-reply-threshold without sleeping.
class TickingClock final : public engine::Clock {
 public:
  int64_t now_ms() const override { return us_ / 1000; }
  int64_t now_us() const override { return us_; }
  int64_t monotonic_us() const override { return us_ += 1000; }

 private:
  mutable int64_t us_ = 1'700'000'000'000'000;
};

// Runs a callback where the server would run network events.
class BusyHooks final : public engine::ServerHooks {
 public:
  std::function<void()> on_busy;
  int shutdowns = 0;
  std::string request_shutdown(const Shutdown&) override {
    ++shutdowns;
    return "";
  }
  Info info() override { return {}; }
  void process_events_while_busy() override {
    if (on_busy) on_busy();
  }
};

struct SlowScriptFixture {
  TickingClock clock;
  engine::Config config;
  engine::Engine engine{clock, config, commands::all_commands()};
  BusyHooks hooks;
  protocol::OutputBuffer out_a, out_b;
  protocol::ReplyWriter writer_a{out_a}, writer_b{out_b};
  engine::Client a, b;  // a runs the script, b talks to the server meanwhile

  SlowScriptFixture() {
    engine.set_hooks(&hooks);
    config.v().busy_reply_threshold = 100;
    a.id = engine.next_client_id();
    b.id = engine.next_client_id();
  }
  std::string run(engine::Client& c, protocol::OutputBuffer& out, protocol::ReplyWriter& w,
                  std::vector<std::string_view> args) {
    out.clear();
    engine.execute(c, engine::Args(args.data(), args.size()), w);
    return out.to_string();
  }
  std::string run_a(std::vector<std::string_view> args) { return run(a, out_a, writer_a, args); }
  std::string run_b(std::vector<std::string_view> args) { return run(b, out_b, writer_b, args); }
};

}  // namespace kvd::test
