// EVAL / EVALSHA / SCRIPT through the engine: replies checked byte for byte
// against what redis-server 7.0.15 sends for the same scripts.
#include <gtest/gtest.h>

#include <functional>

#include "kvd/common/sha1.hpp"
#include "kvd/engine/scripting.hpp"
#include "support/engine_harness.hpp"
#include "support/slow_script.hpp"

namespace kvd::test {
namespace {

// "... script: <sha>, on @user_script:<line>." as Redis suffixes script errors.
std::string where(std::string_view body, int line) {
  return " script: " + sha1_hex(body) + ", on @user_script:" + std::to_string(line) + ".";
}

std::string eval(EngineHarness& h, std::string_view body,
                 std::vector<std::string_view> rest = {"0"}) {
  std::vector<std::string_view> args{"EVAL", body};
  args.insert(args.end(), rest.begin(), rest.end());
  return h.run(args);
}

TEST(ScriptingTest, LuaValuesBecomeReplies) {
  EngineHarness h;
  EXPECT_EQ(eval(h, "return 1"), integer(1));
  EXPECT_EQ(eval(h, "return 3.99"), integer(3));  // numbers are truncated
  EXPECT_EQ(eval(h, "return -3.99"), integer(-3));
  EXPECT_EQ(eval(h, "return 'x'"), bulk("x"));
  EXPECT_EQ(eval(h, "return true"), integer(1));
  EXPECT_EQ(eval(h, "return false"), kNil);
  EXPECT_EQ(eval(h, "return nil"), kNil);
  EXPECT_EQ(eval(h, "return {1,'a',{2},false}"), "*4\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n$-1\r\n");
  EXPECT_EQ(eval(h, "return {1,2,nil,4}"), "*2\r\n:1\r\n:2\r\n");  // up to the first nil
  EXPECT_EQ(eval(h, "return {ok='fine\\r\\nthing'}"), simple("fine  thing"));
  EXPECT_EQ(eval(h, "return {err='bad thing'}"), error("bad thing"));  // no ERR added
  EXPECT_EQ(eval(h, "return redis.error_reply('My Error')"), error("My Error"));
  EXPECT_EQ(eval(h, "return redis.status_reply('FINE')"), simple("FINE"));
  EXPECT_EQ(eval(h, "return {double=3.5}"), bulk("3.5"));
  EXPECT_EQ(eval(h, "local t = {} t[1] = t return t").substr(0, 8), "*1\r\n*1\r\n");
}

TEST(ScriptingTest, KeysAndArgv) {
  EngineHarness h;
  EXPECT_EQ(eval(h, "return {KEYS[1], KEYS[2], ARGV[1]}", {"2", "a", "b", "c"}),
            "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  EXPECT_EQ(eval(h, "return #ARGV", {"0", "x", "y"}), integer(2));
  EXPECT_EQ(eval(h, "return 1", {"2", "a"}),
            error("ERR Number of keys can't be greater than number of args"));
  EXPECT_EQ(eval(h, "return 1", {"-1"}), error("ERR Number of keys can't be negative"));
  EXPECT_EQ(eval(h, "return 1", {"x"}), error("ERR value is not an integer or out of range"));
}

TEST(ScriptingTest, RedisCallConvertsReplies) {
  EngineHarness h;
  EXPECT_EQ(eval(h, "return redis.call('set', KEYS[1], ARGV[1])", {"1", "k", "v"}), kOk);
  EXPECT_EQ(eval(h, "return redis.call('get', 'k')"), bulk("v"));
  EXPECT_EQ(eval(h, "return type(redis.call('get', 'missing'))"), bulk("boolean"));
  EXPECT_EQ(eval(h, "return redis.call('set', 'n', 10) and redis.call('incrby', 'n', 5)"),
            integer(15));
  EXPECT_EQ(eval(h, "return redis.call('ping')['ok']"), bulk("PONG"));
  EXPECT_EQ(h.run({"RPUSH", "l", "a", "b"}), integer(2));
  EXPECT_EQ(eval(h, "return redis.call('lrange', 'l', 0, -1)"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  // Numbers passed to redis.call are written as Redis writes them (%.17g).
  EXPECT_EQ(eval(h, "redis.call('set', 'f', 1.5) return redis.call('get', 'f')"), bulk("1.5"));
}

TEST(ScriptingTest, CommandErrorsStopTheScriptOrAreReturned) {
  EngineHarness h;
  h.run({"SET", "s", "text"});
  std::string body = "return redis.call('incr', 's')";
  EXPECT_EQ(eval(h, body), error("ERR value is not an integer or out of range" + where(body, 1)));
  EXPECT_EQ(eval(h, "return redis.pcall('incr', 's')"),
            error("ERR value is not an integer or out of range"));
  // Redis's pcall catches redis.call's error as its message string.
  EXPECT_EQ(eval(h, "local ok, e = pcall(function() redis.call('incr','s') end) return e"),
            bulk("ERR value is not an integer or out of range"));
  body = "return redis.call('nosuch')";
  EXPECT_EQ(eval(h, body), error("ERR Unknown Redis command called from script" + where(body, 1)));
  body = "return redis.call('get')";
  EXPECT_EQ(eval(h, body),
            error("ERR Wrong number of args calling Redis command from script" + where(body, 1)));
  body = "return redis.call()";
  EXPECT_EQ(
      eval(h, body),
      error("ERR Please specify at least one argument for this redis lib call" + where(body, 1)));
  body = "return redis.call('get', {})";
  EXPECT_EQ(eval(h, body), error("ERR Lua redis lib command arguments must be strings or integers" +
                                 where(body, 1)));
  body = "return redis.call('blpop', 'l', 0)";
  EXPECT_EQ(eval(h, body),
            error("ERR This Redis command is not allowed from script" + where(body, 1)));
  body = "error('boom')";
  EXPECT_EQ(eval(h, body), error("ERR user_script:1: boom" + where(body, 1)));
  EXPECT_EQ(eval(h, "return 1 +"),
            error("ERR Error compiling script (new function): user_script:1: unexpected symbol "
                  "near '<eof>'"));
}

TEST(ScriptingTest, GlobalsAreProtected) {
  EngineHarness h;
  std::string body = "x = 1";
  EXPECT_EQ(eval(h, body),
            error("ERR user_script:1: Attempt to modify a readonly table" + where(body, 1)));
  body = "return y";
  EXPECT_EQ(eval(h, body),
            error("ERR user_script:1: Script attempted to access nonexistent global variable 'y'" +
                  where(body, 1)));
  body = "rawset(_G, 'zz', 1) return 1";
  EXPECT_EQ(eval(h, body), error("ERR Attempt to modify a readonly table" + where(body, 1)));
  body = "return tostring(loadfile)";
  EXPECT_EQ(eval(h, body),
            error("ERR user_script:1: Script attempted to access nonexistent global variable "
                  "'loadfile'" +
                  where(body, 1)));
  // The libraries Redis scripts rely on are there.
  EXPECT_EQ(eval(h, "return cjson.decode('[1,{\"a\":3}]')[2].a"), integer(3));
  EXPECT_EQ(eval(h, "return bit.band(7, 3)"), integer(3));
  EXPECT_EQ(eval(h, "return redis.sha1hex('')"), bulk("da39a3ee5e6b4b0d3255bfef95601890afd80709"));
}

TEST(ScriptingTest, ScriptCache) {
  EngineHarness h;
  const std::string body = "return 'hello'";
  const std::string sha = sha1_hex(body);
  EXPECT_EQ(h.run({"EVALSHA", sha, "0"}), error("NOSCRIPT No matching script. Please use EVAL."));
  EXPECT_EQ(h.run({"SCRIPT", "LOAD", body}), bulk(sha));
  EXPECT_EQ(h.run({"EVALSHA", sha, "0"}), bulk("hello"));
  std::string upper = sha;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(h.run({"EVALSHA", upper, "0"}), bulk("hello"));
  EXPECT_EQ(h.run({"EVALSHA", "abc", "0"}), error("NOSCRIPT No matching script. Please use EVAL."));
  EXPECT_EQ(h.run({"SCRIPT", "EXISTS", sha, std::string(40, 'f')}), "*2\r\n:1\r\n:0\r\n");
  EXPECT_NE(h.run({"INFO", "memory"}).find("number_of_cached_scripts:1\r\n"), std::string::npos);
  EXPECT_EQ(h.run({"SCRIPT", "FLUSH"}), kOk);
  EXPECT_EQ(h.run({"SCRIPT", "EXISTS", sha}), "*1\r\n:0\r\n");
  EXPECT_EQ(h.run({"SCRIPT", "FLUSH", "LATER"}),
            error("ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
  EXPECT_EQ(h.run({"SCRIPT", "KILL"}), error("NOTBUSY No scripts in execution right now."));
  // EVAL caches what it compiles.
  EXPECT_EQ(eval(h, body), bulk("hello"));
  EXPECT_EQ(h.run({"EVALSHA", sha, "0"}), bulk("hello"));
}

TEST(ScriptingTest, ReadOnlyScriptsAndShebangFlags) {
  EngineHarness h;
  std::string body = "return redis.call('set','a','b')";
  EXPECT_EQ(h.run({"EVAL_RO", body, "0"}),
            error("ERR Write commands are not allowed from read-only scripts." + where(body, 1)));
  EXPECT_EQ(h.run({"EVAL_RO", "return redis.call('get','a')", "0"}), kNil);
  body = "#!lua flags=no-writes\nreturn redis.call('set','a','b')";
  EXPECT_EQ(eval(h, body),
            error("ERR Write commands are not allowed from read-only scripts." + where(body, 2)));
  EXPECT_EQ(eval(h, "#!lua\nreturn redis.call('set','a','b')"), kOk);
  EXPECT_EQ(h.run({"EVAL_RO", "#!lua\nreturn 1", "0"}),
            error("ERR Can not execute a script with write flag using *_ro command."));
  EXPECT_EQ(eval(h, "#!lua flags=bogus\nreturn 1"),
            error("ERR Unexpected flag in script shebang: bogus"));
  EXPECT_EQ(eval(h, "#!lua engine=x\nreturn 1"), error("ERR Unknown lua shebang option: engine=x"));
  EXPECT_EQ(eval(h, "#!python\nreturn 1"),
            error("ERR Unexpected engine in script shebang: #!python"));
  EXPECT_EQ(eval(h, "#!lua"), error("ERR Invalid script shebang"));
}

TEST(ScriptingTest, SelectInsideAScriptStaysInside) {
  EngineHarness h;
  EXPECT_EQ(eval(h, "redis.call('select', 3) return redis.call('set','k','v')"), kOk);
  EXPECT_EQ(h.run({"GET", "k"}), kNil);  // the caller is still on db 0
  h.run({"SELECT", "3"});
  EXPECT_EQ(h.run({"GET", "k"}), bulk("v"));
  EXPECT_EQ(eval(h, "return redis.call('get','k')"), bulk("v"));  // scripts start on the caller's
}

TEST(ScriptingTest, Resp3) {
  EngineHarness h;
  h.run({"HSET", "h", "f", "v"});
  const char* body = "redis.setresp(3) return redis.call('hgetall', 'h')";
  // A RESP2 caller gets the map flattened; a RESP3 caller gets a map.
  EXPECT_EQ(eval(h, body), "*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
  h.client().resp = 3;
  EXPECT_EQ(eval(h, body), "%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
  EXPECT_EQ(eval(h, "redis.setresp(3) return false"), "#f\r\n");
  EXPECT_EQ(eval(h, "return false"), "_\r\n");
  EXPECT_EQ(eval(h, "redis.setresp(3) return type(redis.call('get', 'missing'))"), bulk("nil"));
  EXPECT_EQ(eval(h, "return {double=3.5}"), ",3.5\r\n");
  std::string bad = "redis.setresp(4)";
  EXPECT_EQ(eval(h, bad), error("ERR RESP version must be 2 or 3." + where(bad, 1)));
  bad = "redis.setresp(1e300)";  // no float-to-int overflow on the way
  EXPECT_EQ(eval(h, bad), error("ERR RESP version must be 2 or 3." + where(bad, 1)));
}

TEST(ScriptingTest, WritesWakeWatchersAndCountAsChanges) {
  EngineHarness h;
  h.run({"WATCH", "w"});
  eval(h, "return redis.call('set', 'w', 1)");
  h.run({"MULTI"});
  h.run({"PING"});
  EXPECT_EQ(h.run({"EXEC"}), "*-1\r\n");  // the script's write broke the WATCH
}

TEST(ScriptingTest, SlowScriptAnswersBusyUntilKilled) {
  SlowScriptFixture f;
  std::vector<std::string> seen;
  f.hooks.on_busy = [&] {
    if (!seen.empty()) return;
    seen.push_back(f.run_b({"GET", "x"}));
    seen.push_back(f.run_b({"MULTI"}));
    seen.push_back(f.run_b({"SET", "x", "1"}));
    seen.push_back(f.run_b({"EXEC"}));
    seen.push_back(f.run_b({"SCRIPT", "KILL"}));
  };
  const std::string body = "local i = 0 while true do i = i + 1 end";
  EXPECT_EQ(f.run_a({"EVAL", body, "0"}),
            error("ERR Script killed by user with SCRIPT KILL..." + where(body, 1)));
  ASSERT_EQ(seen.size(), 5u);
  const std::string busy =
      "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
  EXPECT_EQ(seen[0], error(busy));
  EXPECT_EQ(seen[1], kOk);  // MULTI may run (allow-busy)
  EXPECT_EQ(seen[2], error(busy));
  EXPECT_EQ(seen[3], error("EXECABORT Transaction discarded because of: " + busy));
  EXPECT_EQ(seen[4], kOk);
  EXPECT_FALSE(f.engine.script_timed_out());
  EXPECT_EQ(f.run_b({"GET", "x"}), kNil);  // served normally again
}

TEST(ScriptingTest, SlowScriptThatWroteCannotBeKilledButShutdownNosaveStopsIt) {
  SlowScriptFixture f;
  std::vector<std::string> seen;
  f.hooks.on_busy = [&] {
    if (!seen.empty()) return;
    seen.push_back(f.run_b({"SCRIPT", "KILL"}));
    seen.push_back(f.run_b({"SHUTDOWN"}));
    f.run_b({"SHUTDOWN", "NOSAVE"});
  };
  const std::string body = "redis.call('set', 'w', 1) while true do end";
  EXPECT_EQ(f.run_a({"EVAL", body, "0"}),
            error("ERR Script killed by user with SCRIPT KILL..." + where(body, 1)));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].substr(0, 47), "-UNKILLABLE Sorry the script already executed w");
  EXPECT_EQ(seen[1].substr(0, 5), "-BUSY");
  EXPECT_EQ(f.hooks.shutdowns, 1);
}

std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(ScriptingTest, Cmsgpack) {
  EngineHarness h;
  // Hex of what redis-server 7.0.15's cmsgpack.pack returns for the same values.
  const std::string to_hex =
      " local h = '' for i = 1, #e do h = h .. string.format('%02x', string.byte(e, i)) end "
      "return h";
  EXPECT_EQ(eval(h,
                 "local e = cmsgpack.pack(0.1, 1.5, -1099511627776, 1, 200, 70000, "
                 "5000000000, -5, -100, -1000, -100000, 'abc', true, false, {1,2,3}, {a=1}, "
                 "{}, string.rep('x', 40))" +
                     to_hex),
            bulk("cb3fb999999999999aca3fc00000d3ffffff000000000001ccc8ce00011170cf000000012a05f2"
                 "00fbd09cd1fc18d2fffe7960a3616263c3c29301020381a1610190d928" +
                 repeat("78", 40)));
  // A table that holds itself is cut at 16 levels, the last one nil.
  EXPECT_EQ(eval(h, "local a = {} a[1] = a local e = cmsgpack.pack(a)" + to_hex),
            bulk(repeat("91", 16) + "c0"));
  EXPECT_EQ(eval(h, "return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {1, {x = 3}}, -7))}"),
            "*4\r\n:1\r\n$1\r\na\r\n*2\r\n:1\r\n*0\r\n:-7\r\n");
  EXPECT_EQ(eval(h, "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)}"),
            "*2\r\n:2\r\n:2\r\n");
  EXPECT_EQ(eval(h, "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 5, 1)}"),
            "*3\r\n:-1\r\n:2\r\n:3\r\n");
  EXPECT_EQ(eval(h, "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)}"),
            "*3\r\n:1\r\n:2\r\n:3\r\n");  // no limit, no offset: all, as unpack
  const std::string body = "return cmsgpack.unpack('\\218\\0')";
  EXPECT_EQ(eval(h, body), error("ERR user_script:1: Missing bytes in input." + where(body, 1)));
  const std::string set = "cmsgpack.pack = 1";
  EXPECT_EQ(eval(h, set),
            error("ERR user_script:1: Attempt to modify a readonly table" + where(set, 1)));
}

TEST(Sha1Test, KnownDigests) {
  EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(sha1_hex(std::string(1000000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  EXPECT_EQ(sha1_hex("The quick brown fox jumps over the lazy dog"),
            "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
}

}  // namespace
}  // namespace kvd::test
