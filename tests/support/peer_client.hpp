#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "support/engine_harness.hpp"

namespace kvd::test {

// A second client in the same engine as an EngineHarness: its own output
// buffer doubles as its out-of-band writer, so pub/sub messages sent to it
// show up in take().
class PeerClient {
 public:
  explicit PeerClient(EngineHarness& h) : h_(h), writer_(out_) {
    client_.id = h.engine().next_client_id();
    client_.writer = &writer_;
    h.engine().add_client(&client_);
  }
  ~PeerClient() { h_.engine().remove_client(&client_); }

  // Runs a command and returns everything written since the last take().
  std::string run(std::initializer_list<std::string_view> args) {
    std::vector<std::string_view> v(args);
    writer_.set_resp(client_.resp);
    h_.engine().execute(client_, engine::Args(v.data(), v.size()), writer_);
    return take();
  }
  std::string run_vec(const std::vector<std::string_view>& v) {
    writer_.set_resp(client_.resp);
    h_.engine().execute(client_, engine::Args(v.data(), v.size()), writer_);
    return take();
  }
  std::string take() {
    std::string s = out_.to_string();
    out_.clear();
    return s;
  }
  engine::Client& client() { return client_; }

 private:
  EngineHarness& h_;
  engine::Client client_;
  protocol::OutputBuffer out_;
  protocol::ReplyWriter writer_;
};

inline std::string arr(std::initializer_list<std::string> items, char prefix = '*') {
  std::string s = prefix + std::to_string(items.size()) + "\r\n";
  for (const auto& i : items) s += i;
  return s;
}

}  // namespace kvd::test
