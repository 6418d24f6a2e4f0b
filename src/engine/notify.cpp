// Keyspace notifications (notify-keyspace-events): changes to keys published
// on __keyspace@<db>__:<key> and __keyevent@<db>__:<event>.
#include "kvd/common/strings.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/pubsub.hpp"

namespace kvd::engine {
namespace notify {

int class_of(char letter) {
  switch (letter) {
    case 'A':
      return kAll;
    case 'g':
      return kGeneric;
    case '$':
      return kString;
    case 'l':
      return kList;
    case 's':
      return kSet;
    case 'h':
      return kHash;
    case 'z':
      return kZset;
    case 'x':
      return kExpired;
    case 'e':
      return kEvicted;
    case 'K':
      return kKeyspace;
    case 'E':
      return kKeyevent;
    case 't':
      return kStream;
    case 'm':
      return kKeyMiss;
    case 'd':
      return kModule;
    case 'n':
      return kNew;
    default:
      return 0;
  }
}

int parse_classes(std::string_view classes) {
  int flags = 0;
  for (char ch : classes) {
    int f = class_of(ch);
    if (!f) return -1;
    flags |= f;
  }
  return flags;
}

std::string format_classes(int flags) {
  std::string s;
  if ((flags & kAll) == kAll) {
    s += 'A';
  } else {
    static const char kOrder[] = "g$lshzxetdn";
    for (const char* p = kOrder; *p; ++p)
      if (flags & class_of(*p)) s += *p;
  }
  if (flags & kKeyspace) s += 'K';
  if (flags & kKeyevent) s += 'E';
  if (flags & kKeyMiss) s += 'm';
  return s;
}

}  // namespace notify

void Engine::notify_keyspace_event(char type, std::string_view event, std::string_view key,
                                   int db) {
  const std::string& conf = config_.v().notify_keyspace_events;
  if (conf.empty()) return;  // the common case: notifications off
  int flags = notify::parse_classes(conf);
  if (flags <= 0 || !(flags & notify::class_of(type))) return;
  std::string prefix = "@" + int_to_string(db) + "__:";
  if (flags & notify::kKeyspace) {
    std::string channel = "__keyspace" + prefix;
    channel.append(key);
    pubsub_->publish(channel, event, false);
  }
  if (flags & notify::kKeyevent) {
    std::string channel = "__keyevent" + prefix;
    channel.append(event);
    pubsub_->publish(channel, key, false);
  }
}

}  // namespace kvd::engine
