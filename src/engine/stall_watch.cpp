#include "kvd/engine/stall_watch.hpp"

#include <spdlog/fmt/fmt.h>

#include "kvd/engine/client.hpp"

namespace kvd::engine {

namespace {

// Keys can be megabytes of binary: the log gets a short, printable prefix.
std::string printable_prefix(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  if (s.size() > kMax) out += "...";
  return out;
}

}  // namespace

void StallWatch::note_command(const Client& client, std::string_view name, size_t keys,
                              std::string_view first_key, int64_t us) {
  ++commands_;
  if (us <= longest_us_) return;
  longest_us_ = us;
  std::string addr = client.conn ? client.conn->peer_address() : std::string("-");
  longest_ =
      fmt::format("command {} ({} key{}{}) of client id={} addr={} name={}, {} ms", name, keys,
                  keys == 1 ? "" : "s", keys > 0 ? ", first " + printable_prefix(first_key) : "",
                  client.id, addr, client.name.empty() ? "-" : client.name, us / 1000);
}

void StallWatch::note(std::string_view what, int64_t us) {
  if (us <= longest_us_) return;
  longest_us_ = us;
  longest_ = fmt::format("{}, {} ms", what, us / 1000);
}

void StallWatch::reset_round() {
  commands_ = 0;
  longest_us_ = 0;
  longest_.clear();
}

std::string StallWatch::end_round(int64_t round_us) {
  std::string line;
  if (threshold_us_ > 0 && round_us > threshold_us_) {
    ++stalls_;
    if (round_us > longest_stall_us_) longest_stall_us_ = round_us;
    line = fmt::format(
        "Loop stall: a round of the event loop took {} ms (loop-stall-threshold-ms {}); {} "
        "command{} ran; the longest part: {}",
        round_us / 1000, threshold_us_ / 1000, commands_, commands_ == 1 ? "" : "s",
        longest_.empty() ? "none measured (network I/O, timers)" : longest_);
  }
  reset_round();
  return line;
}

}  // namespace kvd::engine
