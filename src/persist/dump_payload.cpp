#include "kvd/persist/dump_payload.hpp"

#include "kvd/persist/byte_order.hpp"
#include "kvd/persist/crc64.hpp"
#include "kvd/persist/rdb_format.hpp"

namespace kvd::persist {

namespace {

constexpr size_t kFooterSize = 10;

}  // namespace

std::string make_dump_payload(const engine::Value& v, bool compress) {
  std::string out;
  rdb::Writer w(&out, compress);
  encode_value(v, w);
  out.push_back(static_cast<char>(rdb::kVersion & 0xff));
  out.push_back(static_cast<char>(rdb::kVersion >> 8));
  uint64_t crc = crc64(0, out.data(), out.size());
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(crc >> (8 * i)));
  return out;
}

PayloadStatus read_dump_payload(std::string_view payload, const DecodeLimits& limits,
                                engine::Value* out) {
  if (payload.size() < kFooterSize) return PayloadStatus::kBadFooter;
  const char* footer = payload.data() + payload.size() - kFooterSize;
  if (get_le(footer, 2) > rdb::kVersion) return PayloadStatus::kBadFooter;
  uint64_t crc = crc64(0, payload.data(), payload.size() - 8);
  if (crc != get_le(footer + 2, 8)) return PayloadStatus::kBadFooter;

  rdb::Reader r(payload.substr(0, payload.size() - kFooterSize));
  uint8_t type;
  engine::Value v;
  if (!r.byte(&type) || !decode_value(type, r, limits, &v)) return PayloadStatus::kBadData;
  if (r.remaining() != 0) {  // bytes after the value: not a payload we wrote or Redis wrote
    v.destroy();
    return PayloadStatus::kBadData;
  }
  *out = v;
  return PayloadStatus::kOk;
}

}  // namespace kvd::persist
