#include "kvd/server/socket_io.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace kvd::server {
namespace {

// A local non-blocking socket pair: the same system calls as a client's
// socket, without a listener.
struct SocketPair {
  int rd = -1, wr = -1;
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    rd = fds[0];
    wr = fds[1];
  }
  ~SocketPair() {
    if (rd >= 0) ::close(rd);
    if (wr >= 0) ::close(wr);
  }
  void write(const std::string& s) {
    ASSERT_EQ(::write(wr, s.data(), s.size()), ssize_t(s.size()));
  }
};

TEST(QueryBuffer, ReadsWhatArrivedAndConsumesFromTheFront) {
  SocketPair p;
  QueryBuffer q;
  p.write("PING\r\nECHO\r\n");
  q.prepare(0);
  EXPECT_EQ(q.free_space(), QueryBuffer::kReadChunk);
  size_t got;
  EXPECT_EQ(q.read_from(p.rd, &got), QueryBuffer::Read::kDrained);
  EXPECT_EQ(got, 12u);
  EXPECT_EQ(std::string(q.unparsed(), q.used()), "PING\r\nECHO\r\n");
  q.consume(6);
  EXPECT_EQ(std::string(q.unparsed(), q.used()), "ECHO\r\n");
  q.consume(6);
  EXPECT_TRUE(q.drained());
  q.rewind_if_drained();
  EXPECT_EQ(q.free_space(), q.size());
}

TEST(QueryBuffer, EmptySocketIsDrainedAndEndOfStreamCloses) {
  SocketPair p;
  QueryBuffer q;
  q.prepare(0);
  size_t got;
  EXPECT_EQ(q.read_from(p.rd, &got), QueryBuffer::Read::kDrained);  // EAGAIN
  EXPECT_EQ(got, 0u);
  ::close(p.wr);
  p.wr = -1;
  EXPECT_EQ(q.read_from(p.rd, &got), QueryBuffer::Read::kClosed);
}

TEST(QueryBuffer, AReadThatFillsTheRoomSaysMoreMayWait) {
  SocketPair p;
  QueryBuffer q;
  p.write(std::string(QueryBuffer::kReadChunk + 10, 'x'));
  q.prepare(0);
  size_t got;
  EXPECT_EQ(q.read_from(p.rd, &got), QueryBuffer::Read::kFull);
  EXPECT_EQ(got, QueryBuffer::kReadChunk);
  q.prepare(0);
  EXPECT_EQ(q.read_from(p.rd, &got), QueryBuffer::Read::kDrained);
  EXPECT_EQ(got, 10u);
  EXPECT_EQ(q.used(), QueryBuffer::kReadChunk + 10);
}

TEST(QueryBuffer, PrepareMakesRoomForABigArgumentAndSlidesUnparsedBytes) {
  SocketPair p;
  QueryBuffer q;
  p.write("GARBAGE!abc");
  q.prepare(0);
  size_t got;
  q.read_from(p.rd, &got);
  q.consume(8);        // "abc" is the start of an unfinished command
  q.prepare(200'000);  // the parser expects a 200 KB argument
  EXPECT_EQ(std::string(q.unparsed(), q.used()), "abc");
  EXPECT_GE(q.free_space(), 200'000u - 3);
  q.consume(3);
  // Drained and big: it goes back.
  EXPECT_TRUE(q.release_if_big());
  EXPECT_EQ(q.size(), 0u);
  EXPECT_FALSE(q.release_if_big());
}

// The io_uring transport copies bytes in: room for them, grown as a read
// would be, and no read chunk past the end of a big argument.
TEST(QueryBuffer, PrepareForBytesAtHandGrowsAsAReadWouldAndNoFurther) {
  QueryBuffer in;
  auto copy_in = [&](const std::string& s, size_t expected) {
    in.prepare_for(s.size(), expected);
    ASSERT_GE(in.free_space(), s.size());
    std::memcpy(in.room(), s.data(), s.size());
    in.commit(s.size());
  };
  copy_in("PING\r\n", 0);
  EXPECT_EQ(in.size(), QueryBuffer::kReadChunk);  // a small request: one read chunk
  in.consume(6);
  // A 100 KB argument whose header came in a first piece of 16 KB.
  const size_t expected = 100 * 1024 + 20;
  copy_in(std::string(16 * 1024, 'a'), 0);
  copy_in(std::string(16 * 1024, 'b'), expected);
  EXPECT_EQ(in.size(), expected);  // exactly what the argument needs
  while (in.used() + 16 * 1024 <= expected) copy_in(std::string(16 * 1024, 'c'), expected);
  copy_in(std::string(expected - in.used(), 'd'), expected);
  EXPECT_EQ(in.size(), expected);
  EXPECT_EQ(in.free_space(), 0u);
}

TEST(WriteOut, WritesEverythingOrStopsWhenTheKernelIsFull) {
  SocketPair p;
  protocol::OutputBuffer out;
  out.append("+OK\r\n");
  uint64_t written;
  EXPECT_EQ(write_out(p.wr, out, &written), WriteResult::kDone);
  EXPECT_EQ(written, 5u);
  EXPECT_TRUE(out.empty());
  char buf[8];
  EXPECT_EQ(::read(p.rd, buf, sizeof buf), 5);
  // A socket pair buffers far less than 1 MB: it cannot go at once.
  out.append(std::string(1 << 20, 'y'));
  EXPECT_EQ(write_out(p.wr, out, &written), WriteResult::kWouldBlock);
  EXPECT_GT(written, 0u);
  EXPECT_EQ(out.size(), (size_t{1} << 20) - written);
  ::close(p.rd);
  p.rd = -1;
  // The server ignores SIGPIPE (main.cpp); a dead peer is an error to close on.
  ::signal(SIGPIPE, SIG_IGN);
  EXPECT_EQ(write_out(p.wr, out, &written), WriteResult::kError);
}

}  // namespace
}  // namespace kvd::server
