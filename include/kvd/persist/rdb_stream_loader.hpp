#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "kvd/persist/rdb_file.hpp"

// An RDB image read as it arrives, in pieces of any size: how a replica
// loads its master's snapshot straight from the socket (repl-diskless-load),
// so that loading overlaps the transfer and the loop keeps running between
// pieces. Keys, libraries and aux fields go to the same sinks as load_rdb's.
namespace kvd::persist {

class RdbStreamLoader {
 public:
  RdbStreamLoader(const DecodeLimits& limits, int64_t now_ms, RdbKeySink on_key,
                  RdbLibrarySink on_library, RdbAuxSink on_aux);
  RdbStreamLoader(const RdbStreamLoader&) = delete;
  RdbStreamLoader& operator=(const RdbStreamLoader&) = delete;

  // The next bytes of the image (bytes after its end are kept as trailing()).
  void append(std::string_view bytes);
  // No more bytes will come: a record still cut short is an error now.
  void end_of_input() { end_of_input_ = true; }

  enum class Status {
    kNeedMore,  // every complete record is read; the rest is not here yet
    kPaused,    // keep_going() said stop; complete records are waiting
    kDone,      // the image ended (EOF and a matching checksum)
    kError,     // error() says what is wrong with the image
  };
  // Reads records until the image ends, the bytes run out, or keep_going()
  // (asked after each record) returns false.
  Status parse(const std::function<bool()>& keep_going);

  const std::string& error() const { return error_; }
  const RdbLoadStats& stats() const { return stats_; }
  // Bytes of the image read so far.
  uint64_t consumed() const { return consumed_; }
  // Bytes received and not read yet.
  size_t buffered() const { return buf_.size() - pos_; }
  // Once kDone: what came after the image.
  std::string_view trailing() const { return std::string_view(buf_).substr(pos_); }

 private:
  Status fail(std::string why);
  void compact();

  RdbKeySink on_key_;
  RdbLibrarySink on_library_;
  RdbAuxSink on_aux_;
  RdbLoadStats stats_;
  RdbRecordReader records_;
  std::string buf_;
  size_t pos_ = 0;
  int version_ = -1;
  bool eof_ = false;
  bool done_ = false;
  bool end_of_input_ = false;
  uint64_t crc_ = 0;
  uint64_t consumed_ = 0;
  // A record was cut short with this many bytes buffered: it is read again
  // once twice as many are here (or the input ended), so a big value that
  // arrives in many pieces is parsed a bounded number of times.
  size_t retry_at_ = 0;
  std::string error_;
};

}  // namespace kvd::persist
