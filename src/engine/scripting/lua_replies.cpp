#include "lua_replies.hpp"

#include <lua.hpp>

#include <cmath>
#include <cstdint>
#include <string>

namespace kvd::engine::scripting {
namespace {

using protocol::ReplyItem;
using Kind = ReplyItem::Kind;

// Nesting beyond this is answered with an error element, not followed: a
// table may contain itself.
constexpr int kMaxDepth = 1000;

void set_field(lua_State* L, const char* name, std::string_view value) {
  lua_pushlstring(L, value.data(), value.size());
  lua_setfield(L, -2, name);
}

void push_reply_depth(lua_State* L, protocol::ReplyReader& reader, int depth);

// Reads `n` replies into a new array table.
void push_array(lua_State* L, protocol::ReplyReader& reader, int64_t n, int depth) {
  lua_createtable(L, n > 0 && n < (1 << 24) ? static_cast<int>(n) : 0, 0);
  for (int64_t i = 0; i < n; ++i) {
    push_reply_depth(L, reader, depth + 1);
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
}

void push_reply_depth(lua_State* L, protocol::ReplyReader& reader, int depth) {
  if (!lua_checkstack(L, 4) || depth > kMaxDepth) {
    lua_pushnil(L);
    return;
  }
  ReplyItem it;
  if (!reader.next(it)) {
    lua_pushnil(L);
    return;
  }
  switch (it.kind) {
    case Kind::kStatus:
      lua_newtable(L);
      set_field(L, "ok", it.str);
      return;
    case Kind::kError:
      push_error_table(L, "-" + std::string(it.str));
      // Already counted in the error stats by the command that failed.
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "ignore_error_stats_update");
      return;
    case Kind::kInteger:
      lua_pushnumber(L, static_cast<lua_Number>(it.integer));
      return;
    case Kind::kBulk:
      lua_pushlstring(L, it.str.data(), it.str.size());
      return;
    case Kind::kNullBulk:
    case Kind::kNullArray:
      lua_pushboolean(L, 0);
      return;
    case Kind::kNull:
      lua_pushnil(L);
      return;
    case Kind::kBoolean:
      lua_pushboolean(L, it.boolean ? 1 : 0);
      return;
    case Kind::kDouble:
      lua_newtable(L);
      lua_pushnumber(L, it.dbl);
      lua_setfield(L, -2, "double");
      return;
    case Kind::kBigNumber:
      lua_newtable(L);
      set_field(L, "big_number", it.str);
      return;
    case Kind::kVerbatim:
      lua_newtable(L);
      lua_newtable(L);
      set_field(L, "format", it.format);
      set_field(L, "string", it.str);
      lua_setfield(L, -2, "verbatim_string");
      return;
    case Kind::kArray:
    case Kind::kPush:
      push_array(L, reader, it.count, depth);
      return;
    case Kind::kMap:
      lua_newtable(L);  // {map = {key = value, ...}}
      lua_newtable(L);
      for (int64_t i = 0; i < it.count; ++i) {
        push_reply_depth(L, reader, depth + 1);
        push_reply_depth(L, reader, depth + 1);
        if (lua_isnil(L, -2)) {
          lua_pop(L, 2);
          continue;
        }
        lua_settable(L, -3);
      }
      lua_setfield(L, -2, "map");
      return;
    case Kind::kSet:
      lua_newtable(L);  // {set = {member = true, ...}}
      lua_newtable(L);
      for (int64_t i = 0; i < it.count; ++i) {
        push_reply_depth(L, reader, depth + 1);
        if (lua_isnil(L, -1)) {
          lua_pop(L, 1);
          continue;
        }
        lua_pushboolean(L, 1);
        lua_settable(L, -3);
      }
      lua_setfield(L, -2, "set");
      return;
    case Kind::kAttribute:
      // Attributes describe the reply that follows; scripts see only that.
      for (int64_t i = 0; i < 2 * it.count; ++i) {
        push_reply_depth(L, reader, depth + 1);
        lua_pop(L, 1);
      }
      push_reply_depth(L, reader, depth);
      return;
  }
  lua_pushnil(L);
}

// The string field `name` of the table on top, if it is a string.
bool string_field(lua_State* L, const char* name, std::string* out) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
  bool is = lua_type(L, -1) == LUA_TSTRING;
  if (is) {
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    out->assign(s, len);
  }
  lua_pop(L, 1);
  return is;
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\r' || c == '\n') c = ' ';
  return s;
}

int64_t lua_number_to_integer(lua_Number n) {
  // Out-of-range and NaN conversions are undefined in C++: clamp them.
  if (std::isnan(n)) return 0;
  if (n >= 9.2233720368547758e18) return INT64_MAX;
  if (n <= -9.2233720368547758e18) return INT64_MIN;
  return static_cast<int64_t>(n);
}

void write_value_depth(lua_State* L, protocol::ReplyWriter& out, int script_resp, int depth);

// Counts the array part of the table on top: elements 1..n up to the first nil.
int64_t array_length(lua_State* L) {
  int64_t n = 0;
  while (true) {
    lua_rawgeti(L, -1, static_cast<int>(n + 1));
    bool nil = lua_isnil(L, -1);
    lua_pop(L, 1);
    if (nil) return n;
    ++n;
  }
}

void write_table(lua_State* L, protocol::ReplyWriter& out, int script_resp, int depth) {
  std::string text;
  if (string_field(L, "err", &text)) {
    // An error a command already counted (redis.pcall's) is not counted again.
    lua_getfield(L, -1, "ignore_error_stats_update");
    const bool counted = lua_toboolean(L, -1) != 0;
    lua_pop(L, 1);
    out.error_verbatim(one_line(text), !counted);
    return;
  }
  if (string_field(L, "ok", &text)) {
    out.simple(one_line(text));
    return;
  }
  lua_pushstring(L, "double");
  lua_rawget(L, -2);
  if (lua_type(L, -1) == LUA_TNUMBER) {
    out.dbl(lua_tonumber(L, -1));
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (string_field(L, "big_number", &text)) {
    out.big_number(one_line(text));
    return;
  }
  lua_pushstring(L, "verbatim_string");
  lua_rawget(L, -2);
  if (lua_type(L, -1) == LUA_TTABLE) {
    std::string format, str;
    if (string_field(L, "format", &format) && string_field(L, "string", &str)) {
      lua_pop(L, 1);
      out.verbatim(str, format);
      return;
    }
  }
  lua_pop(L, 1);
  lua_pushstring(L, "map");
  lua_rawget(L, -2);
  if (lua_type(L, -1) == LUA_TTABLE) {
    int64_t pairs = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      ++pairs;
      lua_pop(L, 1);
    }
    out.map(pairs);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pushvalue(L, -2);  // the key, consumed by the write; next() needs its copy
      write_value_depth(L, out, script_resp, depth + 1);
      write_value_depth(L, out, script_resp, depth + 1);
    }
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  lua_pushstring(L, "set");
  lua_rawget(L, -2);
  if (lua_type(L, -1) == LUA_TTABLE) {
    int64_t members = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      ++members;
      lua_pop(L, 1);
    }
    out.set(members);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);         // the value (true)
      lua_pushvalue(L, -1);  // the key, consumed by the write
      write_value_depth(L, out, script_resp, depth + 1);
    }
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  int64_t n = array_length(L);
  out.array(n);
  for (int64_t i = 1; i <= n; ++i) {
    lua_rawgeti(L, -1, static_cast<int>(i));
    write_value_depth(L, out, script_resp, depth + 1);
  }
}

void write_value_depth(lua_State* L, protocol::ReplyWriter& out, int script_resp, int depth) {
  if (depth > kMaxDepth || !lua_checkstack(L, 4)) {
    out.error("ERR reached lua stack limit");
    lua_pop(L, 1);
    return;
  }
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      out.bulk(std::string_view(s, len));
      break;
    }
    case LUA_TBOOLEAN:
      if (script_resp == 2) {
        if (lua_toboolean(L, -1))
          out.integer(1);
        else
          out.null();
      } else {
        out.boolean(lua_toboolean(L, -1) != 0);
      }
      break;
    case LUA_TNUMBER:
      out.integer(lua_number_to_integer(lua_tonumber(L, -1)));
      break;
    case LUA_TTABLE:
      write_table(L, out, script_resp, depth);
      break;
    default:
      out.null();
  }
  lua_pop(L, 1);
}

}  // namespace

void push_reply(lua_State* L, protocol::ReplyReader& reader) {
  push_reply_depth(L, reader, 0);
}

void push_error_table(lua_State* L, std::string_view error) {
  // "-CODE message" (a command's error reply) keeps its code, the first word
  // whatever it looks like; a message without the dash gets ERR.
  std::string code = "ERR";
  std::string_view msg = error;
  if (!error.empty() && error[0] == '-') {
    error.remove_prefix(1);
    msg = error;
    size_t sp = error.find(' ');
    if (sp != std::string_view::npos) {
      code.assign(error.substr(0, sp));
      msg = error.substr(sp + 1);
    }
  }
  while (!msg.empty() && (msg.back() == '\r' || msg.back() == '\n')) msg.remove_suffix(1);
  std::string full = code + " " + std::string(msg);
  lua_newtable(L);
  lua_pushlstring(L, full.data(), full.size());
  lua_setfield(L, -2, "err");
}

void write_lua_value(lua_State* L, protocol::ReplyWriter& out, int script_resp) {
  write_value_depth(L, out, script_resp, 0);
}

}  // namespace kvd::engine::scripting
