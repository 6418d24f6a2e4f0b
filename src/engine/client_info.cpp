// CLIENT LIST's line for a client (also ACL LOG's client-info).
#include "kvd/engine/client_info.hpp"

#include <algorithm>

#include "kvd/common/strings.hpp"
#include "kvd/engine/acl.hpp"
#include "kvd/engine/client_eviction.hpp"
#include "kvd/engine/pubsub.hpp"
#include "kvd/engine/replication.hpp"
#include "kvd/engine/tracking.hpp"
#include "kvd/engine/transaction.hpp"
#include "kvd/protocol/output_buffer.hpp"

namespace kvd::engine {
namespace {

// Subscription counts: 0 channels, 1 patterns, 2 shard channels.
int64_t subs(const Client& c, int which) {
  if (!c.pubsub) return 0;
  const PubSubState& p = *c.pubsub;
  return static_cast<int64_t>(which == 0   ? p.channels.size()
                              : which == 1 ? p.patterns.size()
                                           : p.shard_channels.size());
}

}  // namespace

std::string client_flags(const Client& c) {
  std::string f;
  if (c.replica && c.replica->state != ReplicaSyncState::kNone) f += 'S';
  if (c.master_link) f += 'M';
  if (c.monitor) f += 'O';
  if (c.blocked) f += 'b';
  if (in_pubsub_mode(c)) f += 'P';
  if (in_multi(c)) f += 'x';
  if (tracking_on(c)) {
    f += 't';
    if (c.tracking->broken_redirect) f += 'R';
    if (c.tracking->bcast) f += 'B';
  }
  if (c.tx && c.tx->dirty_cas) f += 'd';
  if (c.close_after_reply) f += 'c';
  if (c.conn && c.conn->is_unix_socket()) f += 'U';
  if (c.no_evict) f += 'e';
  if (c.no_touch) f += 'T';
  if (f.empty()) f = "N";
  return f;
}

// One CLIENT LIST line, fields in Redis 7.0's order. Socket facts come from
// the connection when there is one (a unit-test client has none).
std::string client_info_line(const Client& c, int64_t now_ms) {
  std::string peer, local;
  int fd = -1;
  // kvd keeps replies in one chain of blocks: obl is the pending reply bytes and
  // omem the memory the chain holds (Redis splits these between a static buffer
  // and a reply list; oll stays 0 here).
  size_t qbuf = 0, qbuf_free = 0, obl = 0, oalloc = 0;
  if (c.conn) {
    peer = c.conn->peer_address();
    local = c.conn->local_address();
    fd = c.conn->fd();
    qbuf = c.conn->query_buffer_used();
    qbuf_free = c.conn->query_buffer_free();
    obl = c.conn->output_pending();
    // The first block plays the part of Redis's fixed 16 KB reply buffer (rbs),
    // which omem does not count either.
    oalloc = c.conn->output_allocated();
  }
  size_t rbs = std::min(oalloc, protocol::OutputBuffer::kBlockSize);
  size_t omem = oalloc - rbs;
  auto n = [](int64_t v) { return int_to_string(v); };
  // tot-mem is what maxmemory-clients counts (engine/client_eviction.hpp).
  const engine::ClientMemory mem = engine::measure_client(c);
  std::string s;
  s.reserve(320);
  s += "id=" + n(static_cast<int64_t>(c.id)) + " addr=" + peer + " laddr=" + local +
       " fd=" + n(fd) + " name=" + c.name + " age=" + n((now_ms - c.created_ms) / 1000) +
       " idle=" + n((now_ms - c.last_interaction_ms) / 1000) + " flags=" + client_flags(c) +
       " db=" + n(c.db_index) + " sub=" + n(subs(c, 0)) + " psub=" + n(subs(c, 1)) +
       " ssub=" + n(subs(c, 2)) +
       " multi=" + n(in_multi(c) ? static_cast<int64_t>(c.tx->queue.size()) : -1) +
       " qbuf=" + n(qbuf) + " qbuf-free=" + n(qbuf_free) +
       " argv-mem=" + n(c.conn ? c.conn->argv_bytes() : 0) + " multi-mem=" + n(mem.multi) +
       " rbs=" + n(rbs) + " rbp=" + n(rbs) + " obl=" + n(obl) + " oll=0 omem=" + n(omem) +
       " tot-mem=" + n(mem.total()) + " events=r cmd=" + std::string(c.last_command) +
       " user=" + std::string(user_name(c)) +
       " redir=" + n(tracking_on(c) ? static_cast<int64_t>(c.tracking->redirect) : -1) +
       " resp=" + n(c.resp);
  return s;
}

std::string_view user_name(const Client& c) {
  return c.user ? std::string_view(c.user->name) : std::string_view("(superuser)");
}

}  // namespace kvd::engine
