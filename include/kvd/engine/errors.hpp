#pragma once

// Redis 7's error replies, byte for byte. ReplyWriter::error() adds the '-'.
namespace kvd::engine::err {

inline constexpr const char* kSyntax = "ERR syntax error";
inline constexpr const char* kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr const char* kNotInteger = "ERR value is not an integer or out of range";
inline constexpr const char* kNotFloat = "ERR value is not a valid float";
inline constexpr const char* kOverflow = "ERR increment or decrement would overflow";
inline constexpr const char* kNoSuchKey = "ERR no such key";
inline constexpr const char* kOutOfRange = "ERR index out of range";
inline constexpr const char* kDbIndex = "ERR DB index is out of range";
inline constexpr const char* kNoAuth = "NOAUTH Authentication required.";
inline constexpr const char* kInvalidExpire = "ERR invalid expire time in '%s' command";
inline constexpr const char* kStringTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr const char* kBitOffset = "ERR bit offset is not an integer or out of range";
inline constexpr const char* kBitValue = "ERR bit is not an integer or out of range";

}  // namespace kvd::engine::err
