#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "kvd/protocol/reply_writer.hpp"

namespace kvd::engine {

// What the engine may ask of a client's connection. The server layer implements
// it; unit tests may leave Client::conn null.
class ConnectionView {
 public:
  virtual ~ConnectionView() = default;
  virtual std::string peer_address() const = 0;   // "127.0.0.1:53412"
  virtual std::string local_address() const = 0;  // "127.0.0.1:6379"
  virtual int fd() const = 0;
  virtual size_t query_buffer_used() const = 0;
  virtual size_t query_buffer_free() const = 0;
  // Bytes of a request being read that are already parsed arguments (CLIENT
  // LIST argv-mem); query_buffer_used() leaves them out.
  virtual size_t argv_bytes() const { return 0; }
  virtual size_t output_pending() const = 0;
  virtual size_t output_allocated() const = 0;
  virtual bool is_unix_socket() const = 0;
  // Closes the connection once the current command finished (CLIENT KILL).
  virtual void close_soon() = 0;
  // Disconnects soon without sending the replies still pending (client
  // eviction: the client gets no answer to the command that grew it).
  virtual void drop_soon() { close_soon(); }
  // Something was written to Client::writer outside the client's own command
  // (a pub/sub message, the reply of an unblocked command): flush it soon.
  virtual void schedule_flush() = 0;
  // The client was blocked and is not any more: go on with its pending input.
  virtual void resume() = 0;
};

// Per-feature client state, defined by the feature's own files.
struct BlockState;        // engine/blocking.hpp: a client waiting in BLPOP & co.
struct TransactionState;  // engine/transaction.hpp: MULTI queue and WATCHed keys
struct PubSubState;       // engine/pubsub.hpp: subscribed channels and patterns
struct TrackingState;     // engine/tracking.hpp: CLIENT TRACKING settings
struct ReplicaLink;       // engine/replication.hpp: a replica of ours (REPLCONF, SYNC)
struct AclUser;           // engine/acl.hpp: the user a client runs commands as

// Per-connection state the engine keeps (selected db, protocol, auth, name ...).
struct Client {
  uint64_t id = 0;
  int db_index = 0;
  int resp = 2;
  bool authenticated = true;
  bool close_after_reply = false;  // QUIT, protocol errors
  bool no_evict = false;
  bool no_touch = false;
  // This client's memory as last counted in ClientEviction's total.
  size_t mem_accounted = 0;
  // Dropped by maxmemory-clients; the connection closes soon.
  bool evicted = false;
  std::string name;
  // CLIENT SETINFO: rarely set, so kept out of line.
  struct LibInfo {
    std::string name;
    std::string ver;
  };
  std::unique_ptr<LibInfo> lib;
  // The ACL user; null for the server's own clients (the master link, the
  // AOF loader), which may run anything. The engine sets the default user
  // for a client it registers without one.
  AclUser* user = nullptr;
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
  // The full name of the last command run (it lives in the command table).
  std::string_view last_command = "NULL";
  ConnectionView* conn = nullptr;
  // Where replies written outside the client's own command go (unblocked
  // commands, pub/sub messages). Set by the connection (or a test harness).
  protocol::ReplyWriter* writer = nullptr;
  // While blocked, the connection runs none of the client's further commands.
  bool blocked = false;
  // Running the commands of EXEC: blocking commands must not block.
  bool in_exec = false;
  // The client a script's redis.call runs commands as (MONITOR shows "lua").
  bool script = false;
  // For that client: the client that ran the script (ACL LOG shows it).
  const Client* script_caller = nullptr;
  // The AOF loader's own client: its commands run while the engine loads.
  bool loader = false;
  // CLIENT REPLY OFF / SKIP: this command's reply (reply_skip) or every reply
  // (reply_off) is dropped; pub/sub pushes still go out through `writer`.
  bool reply_off = false;
  bool reply_skip = false;
  bool reply_skip_next = false;
  // Set by CLIENT REPLY ON while replies are off or skipped: its own OK goes out.
  bool reply_turned_on = false;
  // CLIENT PAUSE: the command that waits for the pause to end (blocked is set).
  std::vector<std::string> postponed_argv;
  // MONITOR: receives a line for every command run by the server.
  bool monitor = false;
  std::shared_ptr<BlockState> block;
  std::shared_ptr<TransactionState> tx;
  std::shared_ptr<PubSubState> pubsub;
  std::shared_ptr<TrackingState> tracking;
  // Set once the client sent REPLCONF or SYNC/PSYNC: it is (becoming) one of
  // our replicas (CLIENT LIST flags=S once it synced).
  std::shared_ptr<ReplicaLink> replica;
  // The connection to our master, whose commands are the replication stream
  // (flags=M): never refused as read-only, no replies but REPLCONF ACK.
  bool master_link = false;
  // The replication offset after this client's last write (WAIT waits for
  // replicas to acknowledge it).
  int64_t woff = 0;
};

// A client on the Unix socket or a loopback address (127.0.0.1, ::1), which
// the "local" setting of enable-debug-command / enable-protected-configs
// admits. A client without a connection is not local.
inline bool is_local_client(const Client& c) {
  if (!c.conn) return false;
  if (c.conn->is_unix_socket()) return true;
  std::string peer = c.conn->peer_address();  // "host:port"
  size_t colon = peer.rfind(':');
  std::string_view host = std::string_view(peer).substr(0, colon == std::string::npos ? 0 : colon);
  return host == "127.0.0.1" || host == "::1";
}

}  // namespace kvd::engine
