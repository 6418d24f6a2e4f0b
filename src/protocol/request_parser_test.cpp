#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kvd/protocol/request_parser.hpp"

namespace kvd::test {
namespace {

using protocol::RequestParser;
using Command = std::vector<std::string>;

// Feeds `chunks` to a parser the way a connection does: bytes accumulate in a
// buffer, each parsed command is removed from its front. Stops at an error and
// reports it in *error.
std::vector<Command> feed(RequestParser& p, const std::vector<std::string>& chunks,
                          std::string* error = nullptr) {
  std::vector<Command> out;
  std::string buf;
  for (const auto& chunk : chunks) {
    buf += chunk;
    while (true) {
      auto st = p.parse(buf.data(), buf.size());
      if (st == RequestParser::Status::kNeedMore) break;
      if (st == RequestParser::Status::kError) {
        if (error) *error = p.error();
        return out;
      }
      out.emplace_back(p.args().begin(), p.args().end());
      buf.erase(0, p.consumed());
    }
  }
  return out;
}

std::string parse_error(const std::string& input, RequestParser::Limits limits = {}) {
  RequestParser p(limits);
  std::string e;
  feed(p, {input}, &e);
  return e;
}

const std::string kPipeline =
    "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n"  // a bulk may hold CRLF
    "PING\r\n"
    "*0\r\n"
    "\r\n"
    "set \"a b\" 'c d' \"\\x41\\n\"\r\n"
    "*1\r\n$0\r\n\r\n"
    "ECHO  x\n"
    "*2\r\n$4\r\nECHO\r\n$12\r\n0123456789ab\r\n";

const std::vector<Command> kExpected = {
    {"SET", "key", "va\r\nl"}, {"PING"}, {}, {}, {"set", "a b", "c d", "A\n"}, {""}, {"ECHO", "x"},
    {"ECHO", "0123456789ab"}};

}  // namespace

TEST(RequestParser, WholePipeline) {
  RequestParser p;
  EXPECT_EQ(feed(p, {kPipeline}), kExpected);
}

TEST(RequestParser, SplitAtEveryByte) {
  for (size_t cut = 0; cut <= kPipeline.size(); ++cut) {
    RequestParser p;
    EXPECT_EQ(feed(p, {kPipeline.substr(0, cut), kPipeline.substr(cut)}), kExpected)
        << "split at " << cut;
  }
}

TEST(RequestParser, OneByteAtATime) {
  std::vector<std::string> bytes;
  for (char c : kPipeline) bytes.emplace_back(1, c);
  RequestParser p;
  EXPECT_EQ(feed(p, bytes), kExpected);
}

TEST(RequestParser, ExpectedBytes) {
  RequestParser p;
  std::string partial = "*1\r\n$10\r\n01234";
  EXPECT_EQ(p.parse(partial.data(), partial.size()), RequestParser::Status::kNeedMore);
  EXPECT_EQ(p.bytes_expected(), 9u + 10u + 2u);
}

TEST(RequestParser, ProtocolErrors) {
  EXPECT_EQ(parse_error("*x\r\n"), "Protocol error: invalid multibulk length");
  EXPECT_EQ(parse_error("*3000000000\r\n"), "Protocol error: invalid multibulk length");
  EXPECT_EQ(parse_error("*1\r\nx3\r\nfoo\r\n"), "Protocol error: expected '$', got 'x'");
  EXPECT_EQ(parse_error("*1\r\n$x\r\n"), "Protocol error: invalid bulk length");
  EXPECT_EQ(parse_error("*1\r\n$-1\r\n"), "Protocol error: invalid bulk length");
  EXPECT_EQ(parse_error(std::string(70 * 1024, 'a')), "Protocol error: too big inline request");
  EXPECT_EQ(parse_error("*" + std::string(70 * 1024, '1')),
            "Protocol error: too big mbulk count string");
  EXPECT_EQ(parse_error("*1\r\n$" + std::string(70 * 1024, '1')),
            "Protocol error: too big bulk count string");
  EXPECT_EQ(parse_error("set \"a b\r\n"), "Protocol error: unbalanced quotes in request");
  EXPECT_EQ(parse_error("set 'a\r\n"), "Protocol error: unbalanced quotes in request");
  EXPECT_EQ(parse_error("get \"a\"b\r\n"), "Protocol error: unbalanced quotes in request");
}

TEST(RequestParser, BulkLongerThanProtoMaxBulkLen) {
  RequestParser::Limits limits;
  limits.max_bulk_len = 1024 * 1024;
  EXPECT_EQ(parse_error("*1\r\n$1048577\r\n", limits), "Protocol error: invalid bulk length");
  RequestParser p(limits);
  std::string ok = "*1\r\n$1048576\r\n" + std::string(1024 * 1024, 'x') + "\r\n";
  auto cmds = feed(p, {ok});
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0][0].size(), 1024u * 1024u);
  p.set_max_bulk_len(10);
  std::string e;
  feed(p, {"*1\r\n$11\r\n"}, &e);
  EXPECT_EQ(e, "Protocol error: invalid bulk length");
}

TEST(RequestParser, UnauthenticatedClientsSendSmallRequests) {
  RequestParser p;
  p.set_auth_required(true);
  std::string e;
  auto cmds = feed(p,
                   {"*10\r\n" + std::string("$1\r\na\r\n") + "$1\r\na\r\n$1\r\na\r\n" +
                    "$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n" +
                    "$1\r\na\r\n$16384\r\n" + std::string(16384, 'x') + "\r\n"},
                   &e);
  EXPECT_EQ(e, "");
  ASSERT_EQ(cmds.size(), 1u);
  feed(p, {"*11\r\n"}, &e);
  EXPECT_EQ(e, "Protocol error: unauthenticated multibulk length");
  RequestParser q;
  q.set_auth_required(true);
  e.clear();
  feed(q, {"*1\r\n$16385\r\n"}, &e);
  EXPECT_EQ(e, "Protocol error: unauthenticated bulk length");
  // Once authenticated, the usual limits apply.
  RequestParser r;
  r.set_auth_required(false);
  e.clear();
  feed(r, {"*11\r\n$16385\r\n"}, &e);
  EXPECT_EQ(e, "");
}

TEST(RequestParser, RecoversAfterReset) {
  RequestParser p;
  std::string e;
  feed(p, {"*1\r\n$x\r\n"}, &e);
  EXPECT_FALSE(e.empty());
  p.reset();
  EXPECT_EQ(feed(p, {"PING\r\n"}), (std::vector<Command>{{"PING"}}));
}

}  // namespace kvd::test

namespace kvd::protocol {
namespace {

// After a command with very many arguments, release_memory() between commands
// drops the big tables and the parser goes on working.
TEST(RequestParserMemory, ReleaseAfterAHugeCommand) {
  RequestParser p;
  std::string req = "*5001\r\n$4\r\nSADD\r\n";
  for (int i = 0; i < 5000; ++i) req += "$1\r\nx\r\n";
  ASSERT_EQ(p.parse(req.data(), req.size()), RequestParser::Status::kCommand);
  EXPECT_EQ(p.args().size(), 5001u);
  p.release_memory();
  EXPECT_LT(p.args().capacity(), 5001u);
  std::string ping = "*1\r\n$4\r\nPING\r\n";
  ASSERT_EQ(p.parse(ping.data(), ping.size()), RequestParser::Status::kCommand);
  ASSERT_EQ(p.args().size(), 1u);
  EXPECT_EQ(p.args()[0], "PING");
}

}  // namespace
}  // namespace kvd::protocol
