#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace kvd::engine {

struct Client;

// A client's subscriptions (Client::pubsub).
struct PubSubState {
  std::unordered_set<std::string> channels;
  std::unordered_set<std::string> patterns;
  std::unordered_set<std::string> shard_channels;
  // Redis counts channels and patterns together in (un)subscribe replies;
  // shard channels are counted on their own.
  size_t count() const { return channels.size() + patterns.size(); }
  size_t total() const { return count() + shard_channels.size(); }
};

// True while the client holds any subscription (RESP2 "subscribed context").
bool in_pubsub_mode(const Client& c);

// The server-wide registry of subscriptions: who receives a PUBLISH.
class PubSub {
 public:
  enum class Kind { kChannel, kPattern, kShard };

  // A client's subscriptions of one kind.
  static const std::unordered_set<std::string>& names(const PubSubState& s, Kind kind);

  // Adds/removes one subscription; false when nothing changed.
  bool subscribe(Client& c, Kind kind, std::string_view name);
  bool unsubscribe(Client& c, Kind kind, std::string_view name);
  // Sends `message` on `channel` (a shard channel when shard) to every
  // subscriber and returns how many clients received it.
  size_t publish(std::string_view channel, std::string_view message, bool shard);

  // PUBSUB CHANNELS / SHARDCHANNELS: active channels matching `pattern` (all if empty).
  std::vector<std::string> channels(std::string_view pattern, bool shard) const;
  size_t subscribers(std::string_view channel, bool shard) const;
  size_t pattern_count() const { return by_name_[index(Kind::kPattern)].size(); }
  size_t channel_count() const { return by_name_[index(Kind::kChannel)].size(); }
  size_t shard_channel_count() const { return by_name_[index(Kind::kShard)].size(); }

 private:
  static size_t index(Kind k) { return static_cast<size_t>(k); }
  // Subscribers in subscription order, so delivery order is predictable.
  using Registry = std::unordered_map<std::string, std::vector<Client*>>;
  Registry by_name_[3];
};

// notify-keyspace-events classes (Redis's letters) as bit flags.
namespace notify {
inline constexpr int kKeyspace = 1 << 0;  // K
inline constexpr int kKeyevent = 1 << 1;  // E
inline constexpr int kGeneric = 1 << 2;   // g
inline constexpr int kString = 1 << 3;    // $
inline constexpr int kList = 1 << 4;      // l
inline constexpr int kSet = 1 << 5;       // s
inline constexpr int kHash = 1 << 6;      // h
inline constexpr int kZset = 1 << 7;      // z
inline constexpr int kExpired = 1 << 8;   // x
inline constexpr int kEvicted = 1 << 9;   // e
inline constexpr int kStream = 1 << 10;   // t
inline constexpr int kKeyMiss = 1 << 11;  // m (not part of A)
inline constexpr int kModule = 1 << 13;   // d
inline constexpr int kNew = 1 << 14;      // n (not part of A)
inline constexpr int kAll =
    kGeneric | kString | kList | kSet | kHash | kZset | kExpired | kEvicted | kStream | kModule;
// -1 when `classes` holds a letter that is no class.
int parse_classes(std::string_view classes);
// Canonical spelling, as CONFIG GET returns it.
std::string format_classes(int flags);
// The flag of a class letter passed to Engine::notify_keyspace_event (0 if unknown).
int class_of(char letter);
}  // namespace notify

}  // namespace kvd::engine
