#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kvd/protocol/output_buffer.hpp"

// The socket work both connection kinds share (LoopConnection on the main
// loop, ThreadedConnection on an I/O thread): reading into a query buffer and
// writing a reply buffer out, with non-blocking system calls on a raw fd.
namespace kvd::server {

// The bytes a connection has read and not yet parsed, in one growable buffer.
// Reads go in at the end; the parser consumes from the front.
class QueryBuffer {
 public:
  // A read asks for at least this much room.
  static constexpr size_t kReadChunk = 16 * 1024;
  // A buffer grown past this by a big request is given back once drained.
  static constexpr size_t kBigInput = 64 * 1024;

  enum class Read {
    kFull,     // the read filled the room: more may wait in the socket
    kDrained,  // a short read (or EAGAIN): the socket is empty for now
    kClosed,   // end of stream or an error: the connection is over
  };

  const char* unparsed() const { return buf_.data() + start_; }
  size_t used() const { return end_ - start_; }
  size_t free_space() const { return buf_.size() - end_; }
  size_t size() const { return buf_.size(); }
  size_t capacity() const { return buf_.capacity(); }
  bool drained() const { return start_ == end_; }

  // The parser took n bytes.
  void consume(size_t n) { start_ += n; }
  // Drops what is left (after a protocol error).
  void discard() { start_ = end_; }
  // An emptied buffer starts again at the front.
  // Not while a read into room() is pending: it would land past the end.
  void rewind_if_drained() {
    if (start_ == end_) start_ = end_ = 0;
  }
  // Gives the memory back. Only when drained() and no read holds the buffer.
  void release() {
    std::vector<char>().swap(buf_);
    start_ = end_ = 0;
  }
  // A drained buffer grown past kBigInput goes back at once, rather than
  // after 2 s of idleness that a client that keeps talking never reaches.
  bool release_if_big() {
    if (!drained() || buf_.size() <= kBigInput) return false;
    release();
    return true;
  }

  // Makes room for the next read: kReadChunk, or more when the parser expects
  // a bigger argument (`expected` bytes from the command start). Unparsed
  // bytes slide to the front first: the parser's offsets are relative to the
  // command start, so this is safe in the middle of a command.
  void prepare(size_t expected) {
    size_t want = kReadChunk;
    size_t have = end_ - start_;
    if (expected > have && expected - have > want) want = expected - have;
    compact();
    if (buf_.size() - end_ < want) buf_.resize(end_ + want);
  }
  // Room for n bytes that are here already (the io_uring transport copies
  // received bytes in): grown as for a read when they do not fit, but never
  // a read chunk past what a pending big argument still needs, so a client's
  // buffer (CLIENT LIST qbuf-free, maxmemory-clients) is what a read leaves.
  void prepare_for(size_t n, size_t expected) {
    compact();
    if (buf_.size() - end_ >= n) return;
    const size_t have = end_ - start_;
    const size_t want = expected > have ? std::max(n, expected - have) : std::max(n, kReadChunk);
    buf_.resize(end_ + want);
  }

  // One read(2) from `fd` into the room prepare() made; *got is the byte count.
  Read read_from(int fd, size_t* got);
  // The room prepare() made, for a read someone else makes (Asio's), and
  // how that read's n bytes are taken in.
  char* room() { return buf_.data() + end_; }
  Read commit(size_t n) {
    const size_t space = buf_.size() - end_;
    end_ += n;
    return n == space ? Read::kFull : Read::kDrained;
  }

 private:
  // Unparsed bytes slide to the front when that frees much room.
  void compact() {
    if (start_ > 0 && (start_ == end_ || start_ >= buf_.size() / 2)) {
      std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
      end_ -= start_;
      start_ = 0;
    }
  }

  std::vector<char> buf_;
  size_t start_ = 0;  // first unparsed byte
  size_t end_ = 0;    // end of received bytes
};

enum class WriteResult {
  kDone,        // everything was written
  kWouldBlock,  // the kernel's send buffer is full: wait for writability
  kError,       // the peer is gone: close
};

// Writes `out` to `fd` until it is empty or the socket is full, consuming
// what was written; *written is the byte count.
WriteResult write_out(int fd, protocol::OutputBuffer& out, uint64_t* written);

}  // namespace kvd::server
