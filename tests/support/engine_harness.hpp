#pragma once

#include <initializer_list>
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

// Runs commands against an in-process engine with a manual clock and returns the
// raw RESP reply bytes, so tests check exactly what a client would receive.
class EngineHarness {
 public:
  EngineHarness() : engine_(clock_, config_, commands::all_commands()), writer_(out_) {
    // The harness's client has no connection, so it is not "local": let it
    // run DEBUG and set dir/dbfilename, as the Redis test suite's config does.
    config_.set("enable-debug-command", {"yes"}, true);
    config_.set("enable-protected-configs", {"yes"}, true);
    client_.id = engine_.next_client_id();
    client_.writer = &writer_;
    engine_.add_client(&client_);
  }
  ~EngineHarness() { engine_.remove_client(&client_); }

  std::string run(std::initializer_list<std::string_view> args) {
    return run(std::vector<std::string_view>(args));
  }
  std::string run(const std::vector<std::string_view>& args) {
    out_.clear();
    writer_.set_resp(client_.resp);
    engine_.execute(client_, engine::Args(args.data(), args.size()), writer_);
    return out_.to_string();
  }
  std::string run(const std::vector<std::string>& args) {
    std::vector<std::string_view> v(args.begin(), args.end());
    return run(v);
  }

  engine::ManualClock& clock() { return clock_; }
  engine::Engine& engine() { return engine_; }
  engine::Config& config() { return config_; }
  engine::Client& client() { return client_; }

 private:
  engine::ManualClock clock_;
  engine::Config config_;
  engine::Engine engine_;
  engine::Client client_;
  protocol::OutputBuffer out_;
  protocol::ReplyWriter writer_;
};

// RESP helpers for expected replies.
inline std::string bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}
inline std::string integer(long long v) {
  return ":" + std::to_string(v) + "\r\n";
}
inline std::string line(char prefix, std::string_view s) {
  std::string r(1, prefix);
  r.append(s);
  r.append("\r\n");
  return r;
}
inline std::string simple(std::string_view s) {
  return line('+', s);
}
inline std::string error(std::string_view s) {
  return line('-', s);
}
inline const std::string kOk = "+OK\r\n";
inline const std::string kNil = "$-1\r\n";

}  // namespace kvd::test
