#include "kvd/persist/rdb_stream_loader.hpp"

#include <algorithm>

#include "kvd/persist/byte_order.hpp"
#include "kvd/persist/crc64.hpp"

namespace kvd::persist {

namespace {
constexpr size_t kHeaderLen = 9;  // "REDIS0010"
constexpr size_t kMinRetryGrowth = 64 * 1024;
constexpr size_t kCompactAt = 1 << 20;
}  // namespace

RdbStreamLoader::RdbStreamLoader(const DecodeLimits& limits, int64_t now_ms, RdbKeySink on_key,
                                 RdbLibrarySink on_library, RdbAuxSink on_aux)
    : on_key_(std::move(on_key)),
      on_library_(std::move(on_library)),
      on_aux_(std::move(on_aux)),
      records_(limits, now_ms, on_key_, &stats_, on_library_, on_aux_) {}

void RdbStreamLoader::append(std::string_view bytes) {
  buf_.append(bytes);
}

RdbStreamLoader::Status RdbStreamLoader::fail(std::string why) {
  error_ = std::move(why);
  return Status::kError;
}

void RdbStreamLoader::compact() {
  if (pos_ < kCompactAt && pos_ * 2 < buf_.size()) return;
  buf_.erase(0, pos_);
  pos_ = 0;
}

RdbStreamLoader::Status RdbStreamLoader::parse(const std::function<bool()>& keep_going) {
  if (!error_.empty()) return Status::kError;
  if (done_) return Status::kDone;
  if (version_ < 0) {
    if (buffered() < kHeaderLen)
      return end_of_input_ ? fail("truncated RDB file") : Status::kNeedMore;
    version_ = rdb_header_version(std::string_view(buf_).substr(pos_, kHeaderLen));
    if (version_ < 0) return fail("not an RDB file");
    if (version_ < 1 || version_ > rdb::kVersion)
      return fail("RDB version " + std::to_string(version_) + " is newer than this server reads");
    crc_ = crc64(crc_, buf_.data() + pos_, kHeaderLen);
    pos_ += kHeaderLen;
    consumed_ += kHeaderLen;
  }
  if (!end_of_input_ && buffered() < retry_at_) return Status::kNeedMore;
  retry_at_ = 0;
  std::string err;
  while (!eof_) {
    rdb::Reader r(std::string_view(buf_).substr(pos_));
    records_.set_offset_base(consumed_);
    const RdbRecordReader::Result res = records_.next(r, &err);
    if (res == RdbRecordReader::Result::kError) {
      if (!r.starved()) return fail(err);
      if (end_of_input_) return fail("truncated RDB file");
      retry_at_ = std::max(buffered() * 2, buffered() + kMinRetryGrowth);
      compact();
      return Status::kNeedMore;
    }
    const size_t used = r.position();
    crc_ = crc64(crc_, buf_.data() + pos_, used);
    pos_ += used;
    consumed_ += used;
    if (res == RdbRecordReader::Result::kEof) {
      eof_ = true;
      break;
    }
    if (!keep_going()) {
      compact();
      return Status::kPaused;
    }
  }
  // The checksum of everything before it (0: not computed), from version 5.
  if (version_ >= 5) {
    if (buffered() < 8) return end_of_input_ ? fail("truncated RDB file") : Status::kNeedMore;
    const uint64_t stored = get_le(buf_.data() + pos_, 8);
    if (stored != 0 && stored != crc_) return fail("RDB CRC error");
    pos_ += 8;
    consumed_ += 8;
  }
  done_ = true;
  return Status::kDone;
}

}  // namespace kvd::persist
