#include "kvd/persist/dump_payload.hpp"

#include "kvd/persist/byte_order.hpp"
#include "kvd/persist/crc64.hpp"
#include "kvd/persist/rdb_file.hpp"
#include "kvd/persist/rdb_format.hpp"

namespace kvd::persist {

namespace {

constexpr size_t kFooterSize = 10;

void add_footer(std::string& out) {
  out.push_back(static_cast<char>(rdb::kVersion & 0xff));
  out.push_back(static_cast<char>(rdb::kVersion >> 8));
  uint64_t crc = crc64(0, out.data(), out.size());
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(crc >> (8 * i)));
}

bool footer_ok(std::string_view payload, bool check_crc = true) {
  if (payload.size() < kFooterSize) return false;
  const char* footer = payload.data() + payload.size() - kFooterSize;
  if (get_le(footer, 2) > rdb::kVersion) return false;
  return !check_crc || crc64(0, payload.data(), payload.size() - 8) == get_le(footer + 2, 8);
}

}  // namespace

std::string make_dump_payload(const engine::Value& v, bool compress) {
  std::string out;
  rdb::Writer w(&out, compress);
  encode_value(v, w);
  add_footer(out);
  return out;
}

std::string make_functions_payload(const std::vector<std::string_view>& codes, bool compress) {
  std::string out;
  rdb::Writer w(&out, compress);
  for (std::string_view code : codes) {
    w.byte(kRdbOpFunction2);
    w.string(code);
  }
  add_footer(out);
  return out;
}

bool read_functions_payload(std::string_view payload, std::vector<std::string>* codes,
                            std::string* err) {
  if (!footer_ok(payload)) {
    *err = "DUMP payload version or checksum are wrong";
    return false;
  }
  rdb::Reader r(payload.substr(0, payload.size() - kFooterSize));
  while (r.remaining() > 0) {
    uint8_t type = 0;
    if (!r.byte(&type)) {
      *err = "can not read data type";
      return false;
    }
    if (type != kRdbOpFunction2 && type != kRdbOpFunctionRc) {
      *err = "given type is not a function";
      return false;
    }
    std::string code;
    if (!read_rdb_library(r, type, &code, err)) return false;
    codes->push_back(std::move(code));
  }
  return true;
}

PayloadStatus read_dump_payload(std::string_view payload, const DecodeLimits& limits,
                                engine::Value* out, bool check_crc) {
  if (!footer_ok(payload, check_crc)) return PayloadStatus::kBadFooter;

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
