// The `cmsgpack` library Redis gives scripts: MessagePack encoding of Lua
// values (pack) and decoding (unpack, unpack_one, unpack_limit), written
// here from the MessagePack format. Tables nested deeper than 16 levels are
// encoded as nil, which is what keeps a table that contains itself finite.
#include "lua_cmsgpack.hpp"

#include <lua.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

namespace kvd::engine::scripting {
namespace {

constexpr int kMaxNesting = 16;

void put_be(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_byte(std::string& out, unsigned b) {
  out.push_back(static_cast<char>(b));
}

void put_integer(std::string& out, int64_t v) {
  if (v >= 0) {
    const auto u = static_cast<uint64_t>(v);
    if (u <= 0x7f) {
      put_byte(out, static_cast<unsigned>(u));
    } else if (u <= 0xff) {
      put_byte(out, 0xcc);
      put_be(out, u, 1);
    } else if (u <= 0xffff) {
      put_byte(out, 0xcd);
      put_be(out, u, 2);
    } else if (u <= 0xffffffffull) {
      put_byte(out, 0xce);
      put_be(out, u, 4);
    } else {
      put_byte(out, 0xcf);
      put_be(out, u, 8);
    }
    return;
  }
  const auto u = static_cast<uint64_t>(v);
  if (v >= -32) {
    put_byte(out, static_cast<unsigned>(u & 0xff));  // 111xxxxx
  } else if (v >= -128) {
    put_byte(out, 0xd0);
    put_be(out, u, 1);
  } else if (v >= -32768) {
    put_byte(out, 0xd1);
    put_be(out, u, 2);
  } else if (v >= -2147483648LL) {
    put_byte(out, 0xd2);
    put_be(out, u, 4);
  } else {
    put_byte(out, 0xd3);
    put_be(out, u, 8);
  }
}

void put_number(std::string& out, double n) {
  // Whole numbers in the int64 range are integers; others a float when
  // one holds the value exactly, else a double.
  if (std::isfinite(n) && n == std::floor(n) && n >= -9223372036854775808.0 &&
      n < 9223372036854775808.0) {
    put_integer(out, static_cast<int64_t>(n));
    return;
  }
  const auto f = static_cast<float>(n);
  if (static_cast<double>(f) == n) {
    uint32_t bits = 0;
    std::memcpy(&bits, &f, 4);
    put_byte(out, 0xca);
    put_be(out, bits, 4);
  } else {
    uint64_t bits = 0;
    std::memcpy(&bits, &n, 8);
    put_byte(out, 0xcb);
    put_be(out, bits, 8);
  }
}

void put_string(std::string& out, const char* s, size_t len) {
  if (len < 32) {
    put_byte(out, 0xa0 | static_cast<unsigned>(len));
  } else if (len <= 0xff) {
    put_byte(out, 0xd9);
    put_be(out, len, 1);
  } else if (len <= 0xffff) {
    put_byte(out, 0xda);
    put_be(out, len, 2);
  } else {
    put_byte(out, 0xdb);
    put_be(out, len, 4);
  }
  out.append(s, len);
}

// fix (n <= 15), 16-bit or 32-bit count: arrays 0x90/0xdc/0xdd, maps 0x80/0xde/0xdf.
void put_count(std::string& out, size_t n, unsigned fix, unsigned c16, unsigned c32) {
  if (n <= 15) {
    put_byte(out, fix | static_cast<unsigned>(n));
  } else if (n <= 0xffff) {
    put_byte(out, c16);
    put_be(out, n, 2);
  } else {
    put_byte(out, c32);
    put_be(out, n, 4);
  }
}

void encode(lua_State* L, std::string& out, int level);

// The table on top is an array when its keys are exactly 1..n.
bool is_array(lua_State* L, size_t* n) {
  size_t count = 0;
  double max = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TNUMBER) {
      const double k = lua_tonumber(L, -1);
      if (k > 0 && k == std::floor(k)) {
        if (k > max) max = k;
        ++count;
        continue;
      }
    }
    lua_pop(L, 1);
    return false;
  }
  *n = count;
  return max == static_cast<double>(count);
}

void encode_table(lua_State* L, std::string& out, int level) {
  size_t n = 0;
  if (is_array(L, &n)) {
    put_count(out, n, 0x90, 0xdc, 0xdd);
    for (size_t i = 1; i <= n; ++i) {
      lua_rawgeti(L, -1, static_cast<int>(i));
      encode(L, out, level + 1);
    }
    return;
  }
  size_t pairs = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    ++pairs;
  }
  put_count(out, pairs, 0x80, 0xde, 0xdf);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pushvalue(L, -2);  // the key's copy is encoded; lua_next needs the key
    encode(L, out, level + 1);
    encode(L, out, level + 1);
  }
}

// Encodes the value on top of the stack and pops it.
void encode(lua_State* L, std::string& out, int level) {
  int type = lua_type(L, -1);
  if (type == LUA_TTABLE && (level >= kMaxNesting || !lua_checkstack(L, 3))) type = LUA_TNIL;
  switch (type) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      put_string(out, s, len);
      break;
    }
    case LUA_TBOOLEAN:
      put_byte(out, lua_toboolean(L, -1) ? 0xc3 : 0xc2);
      break;
    case LUA_TNUMBER:
      put_number(out, static_cast<double>(lua_tonumber(L, -1)));
      break;
    case LUA_TTABLE:
      encode_table(L, out, level);
      break;
    default:
      put_byte(out, 0xc0);
  }
  lua_pop(L, 1);
}

// Encodes arguments 1..n into one string, pushed on the stack. Its C++
// objects are gone before the caller may raise an error.
bool pack_arguments(lua_State* L, int n) noexcept {
  try {
    std::string out;
    for (int i = 1; i <= n; ++i) {
      lua_pushvalue(L, i);
      encode(L, out, 0);
    }
    lua_pushlstring(L, out.data(), out.size());
    return true;
  } catch (...) {
    return false;
  }
}

int mp_pack(lua_State* L) {
  const int n = lua_gettop(L);
  if (n == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  if (!lua_checkstack(L, 4) || !pack_arguments(L, n)) return luaL_error(L, "out of memory");
  return 1;
}

// Decoding. Plain C data only, so a Lua error may unwind through it.
struct Input {
  const unsigned char* data;
  size_t size;
  size_t pos;
  const char* error;  // set when decoding stops
};

bool need(Input& in, size_t n) {
  if (in.size - in.pos >= n) return true;
  in.error = "Missing bytes in input.";
  return false;
}

uint64_t take_be(Input& in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | in.data[in.pos++];
  return v;
}

bool decode(lua_State* L, Input& in);

bool decode_string(lua_State* L, Input& in, int len_bytes, size_t fixed_len = 0) {
  size_t len = fixed_len;
  if (len_bytes > 0) {
    if (!need(in, static_cast<size_t>(len_bytes))) return false;
    len = static_cast<size_t>(take_be(in, len_bytes));
  }
  if (!need(in, len)) return false;
  lua_pushlstring(L, reinterpret_cast<const char*>(in.data + in.pos), len);
  in.pos += len;
  return true;
}

bool decode_array(lua_State* L, Input& in, size_t n) {
  if (!lua_checkstack(L, 2)) {
    in.error = "Too deeply nested input.";
    return false;
  }
  lua_createtable(L, n < (1u << 20) ? static_cast<int>(n) : 0, 0);
  for (size_t i = 1; i <= n; ++i) {
    if (!decode(L, in)) return false;
    lua_rawseti(L, -2, static_cast<int>(i));
  }
  return true;
}

bool decode_map(lua_State* L, Input& in, size_t n) {
  if (!lua_checkstack(L, 3)) {
    in.error = "Too deeply nested input.";
    return false;
  }
  lua_createtable(L, 0, n < (1u << 20) ? static_cast<int>(n) : 0);
  for (size_t i = 0; i < n; ++i) {
    if (!decode(L, in) || !decode(L, in)) return false;
    // A nil or NaN key cannot index a table: the pair is dropped.
    const bool bad_key =
        lua_isnil(L, -2) || (lua_type(L, -2) == LUA_TNUMBER && std::isnan(lua_tonumber(L, -2)));
    if (bad_key) {
      lua_pop(L, 2);
    } else {
      lua_rawset(L, -3);
    }
  }
  return true;
}

// Pushes the next value of the input.
bool decode(lua_State* L, Input& in) {
  if (!need(in, 1)) return false;
  const unsigned type = in.data[in.pos++];
  if (type <= 0x7f) {
    lua_pushnumber(L, type);
    return true;
  }
  if (type >= 0xe0) {
    lua_pushnumber(L, static_cast<int>(type) - 256);
    return true;
  }
  if ((type & 0xf0) == 0x80) return decode_map(L, in, type & 0x0f);
  if ((type & 0xf0) == 0x90) return decode_array(L, in, type & 0x0f);
  if ((type & 0xe0) == 0xa0) return decode_string(L, in, 0, type & 0x1f);
  static constexpr int kWidth[] = {1, 2, 4, 8};
  switch (type) {
    case 0xc0:
      lua_pushnil(L);
      return true;
    case 0xc2:
    case 0xc3:
      lua_pushboolean(L, type == 0xc3);
      return true;
    case 0xc4:  // bin 8/16/32
    case 0xc5:
    case 0xc6:
      return decode_string(L, in, kWidth[type - 0xc4]);
    case 0xd9:  // str 8/16/32
    case 0xda:
    case 0xdb:
      return decode_string(L, in, kWidth[type - 0xd9]);
    case 0xca: {
      if (!need(in, 4)) return false;
      const auto bits = static_cast<uint32_t>(take_be(in, 4));
      float f = 0;
      std::memcpy(&f, &bits, 4);
      lua_pushnumber(L, static_cast<lua_Number>(f));
      return true;
    }
    case 0xcb: {
      if (!need(in, 8)) return false;
      const uint64_t bits = take_be(in, 8);
      double d = 0;
      std::memcpy(&d, &bits, 8);
      lua_pushnumber(L, static_cast<lua_Number>(d));
      return true;
    }
    case 0xcc:  // uint 8/16/32/64
    case 0xcd:
    case 0xce:
    case 0xcf: {
      const int w = kWidth[type - 0xcc];
      if (!need(in, static_cast<size_t>(w))) return false;
      lua_pushnumber(L, static_cast<lua_Number>(take_be(in, w)));
      return true;
    }
    case 0xd0:  // int 8/16/32/64
    case 0xd1:
    case 0xd2:
    case 0xd3: {
      const int w = kWidth[type - 0xd0];
      if (!need(in, static_cast<size_t>(w))) return false;
      uint64_t v = take_be(in, w);
      if (w < 8 && (v >> (8 * w - 1)) & 1) v |= ~uint64_t{0} << (8 * w);  // sign-extend
      lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(v)));
      return true;
    }
    case 0xdc:
    case 0xdd: {
      const int w = type == 0xdc ? 2 : 4;
      if (!need(in, static_cast<size_t>(w))) return false;
      return decode_array(L, in, static_cast<size_t>(take_be(in, w)));
    }
    case 0xde:
    case 0xdf: {
      const int w = type == 0xde ? 2 : 4;
      if (!need(in, static_cast<size_t>(w))) return false;
      return decode_map(L, in, static_cast<size_t>(take_be(in, w)));
    }
    default:
      in.error = "Bad data format in input.";
      return false;
  }
}

// Decodes up to `limit` values from `offset`; the first result is where
// decoding stopped, or -1 at the end of the input.
int unpack_from(lua_State* L, lua_Integer limit, lua_Integer offset) {
  // No limit and no offset: every value, and no offset first (as unpack).
  const bool decode_all = limit == 0 && offset == 0;
  const bool with_offset = !decode_all;
  size_t len = 0;
  const char* s = luaL_checklstring(L, 1, &len);
  // Redis's library names the input's length as the limit here.
  if (offset < 0 || limit < 0) {
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                      static_cast<int>(offset), static_cast<int>(len));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.", static_cast<int>(offset),
                      static_cast<int>(len));
  }
  const int base = lua_gettop(L);
  if (with_offset) lua_pushnil(L);  // the offset, filled in below
  Input in{reinterpret_cast<const unsigned char*>(s), len, static_cast<size_t>(offset), nullptr};
  lua_Integer count = 0;
  while (in.pos < in.size && (decode_all || count < limit)) {
    if (!lua_checkstack(L, 1)) return luaL_error(L, "Too many values to unpack.");
    if (!decode(L, in)) {
      lua_settop(L, base);
      return luaL_error(L, "%s", in.error ? in.error : "Bad data format in input.");
    }
    ++count;
  }
  if (with_offset) {
    lua_pushnumber(L, in.pos < in.size ? static_cast<lua_Number>(in.pos) : -1);
    lua_replace(L, base + 1);
  }
  return lua_gettop(L) - base;
}

int mp_unpack(lua_State* L) {
  return unpack_from(L, 0, 0);
}

int mp_unpack_one(lua_State* L) {
  return unpack_from(L, 1, luaL_optinteger(L, 2, 0));
}

int mp_unpack_limit(lua_State* L) {
  return unpack_from(L, luaL_checkinteger(L, 2), luaL_optinteger(L, 3, 0));
}

}  // namespace

int open_cmsgpack(lua_State* L) {
  lua_newtable(L);
  lua_pushcfunction(L, mp_pack);
  lua_setfield(L, -2, "pack");
  lua_pushcfunction(L, mp_unpack);
  lua_setfield(L, -2, "unpack");
  lua_pushcfunction(L, mp_unpack_one);
  lua_setfield(L, -2, "unpack_one");
  lua_pushcfunction(L, mp_unpack_limit);
  lua_setfield(L, -2, "unpack_limit");
  return 1;
}

}  // namespace kvd::engine::scripting
