#pragma once

#include <string>

namespace kvd::server {

// `supervised no|upstart|systemd|auto`, as redis-server does it.
//
// systemd (Type=notify) learns how the service is doing from datagrams sent
// to the socket named in $NOTIFY_SOCKET: "STATUS=..." while loading,
// "READY=1" once kvd listens with its data loaded, "STOPPING=1" when it shuts
// down. kvd speaks that protocol itself (one sendmsg per message), so it needs
// no libsystemd. upstart (`expect stop`) is told by the process stopping
// itself with SIGSTOP once started.
enum class SupervisedMode { kNone, kUpstart, kSystemd };

// Resolves `auto` from the environment and sets supervision up: returns the
// mode in effect (kNone when the one asked for has no socket/job to talk to,
// logged as Redis logs it). Called once, before the data is loaded.
SupervisedMode start_supervision(const std::string& directive);
SupervisedMode supervised_mode();

// Sends one message ("READY=1\n", "STATUS=...\n") when supervised by systemd;
// nothing otherwise. Returns false when the message could not be sent.
bool notify_supervisor(const std::string& message);

// The sending itself, for tests: `socket_path` as in $NOTIFY_SOCKET (a path,
// or "@name" for the abstract namespace).
bool send_notify_datagram(const std::string& socket_path, const std::string& message);

}  // namespace kvd::server
