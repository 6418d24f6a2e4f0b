// FUNCTION and FCALL through the engine: replies checked byte for byte
// against what redis-server 7.0.15 sends for the same libraries.
#include <gtest/gtest.h>

#include "kvd/engine/functions.hpp"
#include "kvd/persist/dump_payload.hpp"
#include "support/engine_harness.hpp"
#include "support/slow_script.hpp"

namespace kvd::test {
namespace {

// A library named `lib` whose function `fn` runs `body`.
std::string library(std::string_view lib, std::string_view fn, std::string_view body) {
  return "#!lua name=" + std::string(lib) + "\nredis.register_function('" + std::string(fn) +
         "', function(KEYS, ARGV)\n " + std::string(body) + " \nend)";
}

// The same, with flags={...} (e.g. "'no-writes'").
std::string flagged_library(std::string_view lib, std::string_view fn, std::string_view flags,
                            std::string_view body) {
  return "#!lua name=" + std::string(lib) + "\nredis.register_function{function_name='" +
         std::string(fn) + "', callback=function(KEYS, ARGV)\n " + std::string(body) +
         " \nend, flags={" + std::string(flags) + "}}";
}

std::string load(EngineHarness& h, std::string_view code) {
  return h.run({"FUNCTION", "LOAD", code});
}

std::string load_error(EngineHarness& h, std::string_view after_shebang) {
  return load(h, "#!lua name=lib\n" + std::string(after_shebang));
}

TEST(FunctionTest, LoadAndCall) {
  EngineHarness h;
  EXPECT_EQ(load(h, library("test", "test", "return 'hello'")), bulk("test"));
  EXPECT_EQ(h.run({"FCALL", "test", "0"}), bulk("hello"));
  EXPECT_EQ(h.run({"FCALL", "TEST", "0"}), bulk("hello"));  // names in any case
  EXPECT_EQ(load(h, library("test", "test", "return 'again'")),
            error("ERR Library 'test' already exists"));
  EXPECT_EQ(h.run({"FUNCTION", "LOAD", "REPLACE", library("test", "test", "return 'hello1'")}),
            bulk("test"));
  EXPECT_EQ(h.run({"FCALL", "test", "0"}), bulk("hello1"));
  // A failed REPLACE keeps the old library.
  EXPECT_EQ(
      h.run({"FUNCTION", "LOAD", "replace", library("test", "test", "bad script")}).substr(0, 30),
      "-ERR Error compiling function:");
  EXPECT_EQ(h.run({"FCALL", "test", "0"}), bulk("hello1"));
  EXPECT_EQ(h.run({"FUNCTION", "LOAD", "foo", "bar", library("x", "x", "return 1")}),
            error("ERR Unknown option given: foo"));
}

TEST(FunctionTest, KeysArgsAndCallErrors) {
  EngineHarness h;
  load(h, library("lib", "f", "return {KEYS[1], ARGV[1], #KEYS, #ARGV}"));
  EXPECT_EQ(h.run({"FCALL", "f", "1", "k", "a", "b"}), "*4\r\n$1\r\nk\r\n$1\r\na\r\n:1\r\n:2\r\n");
  EXPECT_EQ(h.run({"FCALL", "f", "x"}), error("ERR Bad number of keys provided"));
  EXPECT_EQ(h.run({"FCALL", "f", "10", "k"}),
            error("ERR Number of keys can't be greater than number of args"));
  EXPECT_EQ(h.run({"FCALL", "f", "-1", "k"}), error("ERR Number of keys can't be negative"));
  EXPECT_EQ(h.run({"FCALL", "nope", "0"}), error("ERR Function not found"));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "FCALL", "f", "1", "x", "foo"}), "*1\r\n$1\r\nx\r\n");
  load(h, library("lib2", "g", "return redis.call('nosuch')"));
  EXPECT_EQ(h.run({"FCALL", "g", "0"}),
            error("ERR Unknown Redis command called from script script: g, on @user_function:3."));
  load(h, library("lib4", "t", "error({})"));
  EXPECT_EQ(h.run({"FCALL", "t", "0"}), error("ERR unknown error script: t, on @user_function:3."));
  load(h, library("lib3", "e", "return a.b"));
  EXPECT_EQ(h.run({"FCALL", "e", "0"}),
            error("ERR user_function:3: Script attempted to access nonexistent global variable "
                  "'a' script: e, on @user_function:3."));
}

TEST(FunctionTest, LoadErrorsAreRedisTexts) {
  EngineHarness h;
  const std::string bad_name =
      "Library names can only contain letters, numbers, or underscores(_) and must be at least "
      "one character long";
  EXPECT_EQ(load(h, "return 1"), error("ERR Missing library metadata"));
  EXPECT_EQ(load(h, "#!lua name=x"), error("ERR Invalid library metadata"));
  EXPECT_EQ(load(h, "#!lua\nreturn 1"), error("ERR Library name was not given"));
  EXPECT_EQ(load(h, "#!lua name=a name=b\n"),
            error("ERR Invalid metadata value, name argument was given multiple times"));
  EXPECT_EQ(load(h, "#!lua name=a foo=bar\n"), error("ERR Invalid metadata value given: foo=bar"));
  EXPECT_EQ(load(h, "#! name=a\n"), error("ERR Engine '' not found"));
  EXPECT_EQ(load(h, "#!bad_engine name=a\n"), error("ERR Engine 'bad_engine' not found"));
  EXPECT_EQ(load(h, "#!lua name=a-b\n"), error("ERR " + bad_name));
  EXPECT_EQ(load(h, "#!lua name=\"quoted\"\nredis.register_function('q', function() end)"),
            bulk("quoted"));
  EXPECT_EQ(load_error(h, "local a = 1 +"),
            error("ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'"));
  EXPECT_EQ(load_error(h, "return 1"), error("ERR No functions registered"));
  const std::string reg = "ERR Error registering functions: ";
  EXPECT_EQ(load_error(h, "redis.register_function()"),
            error(reg + "ERR wrong number of arguments to redis.register_function"));
  EXPECT_EQ(load_error(h, "redis.register_function('f', function() end, 1)"),
            error(reg + "ERR wrong number of arguments to redis.register_function"));
  EXPECT_EQ(load_error(h, "redis.register_function('f')"),
            error(reg + "ERR calling redis.register_function with a single argument is only "
                        "applicable to Lua table (representing named arguments)."));
  EXPECT_EQ(load_error(h, "redis.register_function(nil, function() end)"),
            error(reg + "ERR first argument to redis.register_function must be a string"));
  EXPECT_EQ(load_error(h, "redis.register_function('f', 'x')"),
            error(reg + "ERR second argument to redis.register_function must be a function"));
  EXPECT_EQ(load_error(h, "redis.register_function('', function() end)"),
            error(reg + "ERR " + bad_name));
  EXPECT_EQ(load_error(h,
                       "redis.register_function('f', function() end)\n"
                       "redis.register_function('f', function() end)"),
            error(reg + "ERR Function already exists in the library"));
  EXPECT_EQ(load_error(h, "redis.register_function{callback=function() end}"),
            error(reg + "ERR redis.register_function must get a function name argument"));
  EXPECT_EQ(load_error(h, "redis.register_function{function_name='f'}"),
            error(reg + "ERR redis.register_function must get a callback argument"));
  EXPECT_EQ(
      load_error(h, "redis.register_function{function_name='f', callback='x'}"),
      error(reg + "ERR callback argument given to redis.register_function must be a function"));
  EXPECT_EQ(load_error(h, "redis.register_function{function_name='f', callback=print, x=1}"),
            error(reg + "ERR user_function:2: Script attempted to access nonexistent global "
                        "variable 'print'"));
  EXPECT_EQ(
      load_error(h, "redis.register_function{function_name='f', callback=function() end, x=1}"),
      error(reg + "ERR unknown argument given to redis.register_function"));
  EXPECT_EQ(
      load_error(h,
                 "redis.register_function{function_name='f', callback=function() end, "
                 "flags='no-writes'}"),
      error(reg + "ERR flags argument to redis.register_function must be a table representing "
                  "function flags"));
  EXPECT_EQ(load_error(h,
                       "redis.register_function{function_name='f', callback=function() end, "
                       "flags={'what'}}"),
            error(reg + "ERR unknown flag given"));
  // Only register_function, log and the version exist while a library loads.
  EXPECT_EQ(
      load_error(h, "return math.random()"),
      error(reg + "ERR user_function:2: Script attempted to access nonexistent global variable "
                  "'math'"));
  EXPECT_EQ(
      load_error(h, "return redis.call('ping')"),
      error(reg + "ERR user_function:2: Script attempted to access nonexistent global variable "
                  "'call'"));
  EXPECT_EQ(load_error(h, "a = 1"),
            error(reg + "ERR user_function:2: Attempt to modify a readonly table"));
  EXPECT_EQ(load_error(h, "redis.x = 1"),
            error(reg + "ERR user_function:2: Attempt to modify a readonly table"));
  EXPECT_EQ(h.run({"FUNCTION", "LIST"}),
            "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$6\r\nquoted\r\n"
            "$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*1\r\n*6\r\n"
            "$4\r\nname\r\n$1\r\nq\r\n$11\r\ndescription\r\n$-1\r\n"
            "$5\r\nflags\r\n*0\r\n");
}

TEST(FunctionTest, RegisteredFunctionsSeeTheGlobalsButLoadTimeApiIsGone) {
  EngineHarness h;
  ASSERT_EQ(load(h,
                 "#!lua name=lib\n"
                 "local lib = redis\n"
                 "local function ping() return redis.call('ping') end\n"
                 "redis.register_function('f1', function() return ping() end)\n"
                 "redis.register_function('f2', function() lib.math = math end)\n"
                 "redis.register_function('f3', function() lib.register_function('x', ping) end)\n"
                 "redis.register_function('f4', function() return redis.register_function end)\n"
                 "redis.register_function('f5', function() "
                 "return string.format('%s', redis.REDIS_VERSION) end)"),
            bulk("lib"));
  EXPECT_EQ(h.run({"FCALL", "f1", "0"}), simple("PONG"));
  EXPECT_EQ(h.run({"FCALL", "f2", "0"}),
            error("ERR user_function:5: Attempt to modify a readonly table script: f2, on "
                  "@user_function:5."));
  EXPECT_EQ(h.run({"FCALL", "f3", "0"}),
            error("ERR redis.register_function can only be called on FUNCTION LOAD command "
                  "script: f3, on @user_function:6."));
  EXPECT_EQ(h.run({"FCALL", "f4", "0"}), kNil);
  EXPECT_EQ(h.run({"FCALL", "f5", "0"}), bulk("7.0.15"));
}

TEST(FunctionTest, FlagsDecideWritesAndReadOnlyCalls) {
  EngineHarness h;
  load(h, library("w", "writer", "return redis.call('set', KEYS[1], ARGV[1])"));
  load(h, flagged_library("r", "reader", "'no-writes'", "return redis.call('get', KEYS[1])"));
  load(h, flagged_library("bad", "sneaky", "'no-writes'", "return redis.call('set', 'x', 1)"));
  EXPECT_EQ(h.run({"FCALL", "writer", "1", "x", "v"}), kOk);
  EXPECT_EQ(h.run({"FCALL_RO", "reader", "1", "x"}), bulk("v"));
  EXPECT_EQ(h.run({"FCALL", "reader", "1", "x"}), bulk("v"));
  EXPECT_EQ(h.run({"FCALL_RO", "writer", "1", "x", "v"}),
            error("ERR Can not execute a script with write flag using *_ro command."));
  EXPECT_EQ(h.run({"FCALL", "sneaky", "0"}),
            error("ERR Write commands are not allowed from read-only scripts. script: sneaky, on "
                  "@user_function:3."));
}

TEST(FunctionTest, OutOfMemoryRefusesFunctionsThatMayWrite) {
  EngineHarness h;
  load(h, library("w", "writer", "return redis.call('set', 'x', '1')"));
  load(h, flagged_library("r", "reader", "'no-writes'", "return 'hello'"));
  load(h, flagged_library("o", "oom_ok", "'allow-oom'", "return redis.call('set', 'x', '2')"));
  const std::string payload = h.run({"FUNCTION", "DUMP"});
  h.config().v().maxmemory = 1;
  const std::string oom = error("OOM command not allowed when used memory > 'maxmemory'.");
  EXPECT_EQ(h.run({"FCALL", "writer", "0"}), oom);
  EXPECT_EQ(h.run({"FCALL", "reader", "0"}), bulk("hello"));
  EXPECT_EQ(h.run({"FCALL_RO", "reader", "0"}), bulk("hello"));
  EXPECT_EQ(h.run({"FCALL", "oom_ok", "0"}), kOk);
  EXPECT_EQ(h.run({"FUNCTION", "LOAD", library("n", "n", "return 1")}), oom);
  h.config().v().maxmemory = 0;
  EXPECT_EQ(h.run({"GET", "x"}), bulk("2"));
}

TEST(FunctionTest, ListDeleteFlushAndStats) {
  EngineHarness h;
  const std::string code =
      "#!lua name=lib1\nredis.register_function('f1', function() return 'one' end)\n"
      "redis.register_function{function_name='f2', callback=function() return 'two' end, "
      "flags={'no-writes','allow-oom'}, description='second'}";
  ASSERT_EQ(load(h, code), bulk("lib1"));
  const std::string functions =
      "$9\r\nfunctions\r\n*2\r\n"
      "*6\r\n$4\r\nname\r\n$2\r\nf1\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*0\r\n"
      "*6\r\n$4\r\nname\r\n$2\r\nf2\r\n$11\r\ndescription\r\n$6\r\nsecond\r\n$5\r\nflags\r\n"
      "*2\r\n+no-writes\r\n+allow-oom\r\n";
  const std::string head = "$12\r\nlibrary_name\r\n$4\r\nlib1\r\n$6\r\nengine\r\n$3\r\nLUA\r\n";
  EXPECT_EQ(h.run({"FUNCTION", "LIST"}), "*1\r\n*6\r\n" + head + functions);
  EXPECT_EQ(h.run({"FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "lib*"}),
            "*1\r\n*8\r\n" + head + functions + "$12\r\nlibrary_code\r\n" + bulk(code));
  EXPECT_EQ(h.run({"FUNCTION", "LIST", "LIBRARYNAME", "x*"}), "*0\r\n");
  EXPECT_EQ(h.run({"FUNCTION", "LIST", "LIBRARYNAME", "LIB?"}),  // patterns ignore case
            h.run({"FUNCTION", "LIST"}));
  EXPECT_EQ(h.run({"FUNCTION", "LIST", "bad"}), error("ERR Unknown argument bad"));
  EXPECT_EQ(h.run({"FUNCTION", "LIST", "withcode", "withcode"}),
            error("ERR Unknown argument withcode"));
  EXPECT_EQ(h.run({"FUNCTION", "LIST", "libraryname"}),
            error("ERR library name argument was not given"));
  EXPECT_EQ(h.run({"FUNCTION", "STATS"}),
            "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n"
            "$15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:2\r\n");
  h.client().resp = 3;
  EXPECT_EQ(h.run({"FUNCTION", "STATS"}),
            "%2\r\n$14\r\nrunning_script\r\n_\r\n$7\r\nengines\r\n%1\r\n$3\r\nLUA\r\n%2\r\n"
            "$15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:2\r\n");
  h.client().resp = 2;
  EXPECT_NE(h.run({"INFO", "memory"}).find("number_of_functions:2\r\nnumber_of_libraries:1\r\n"),
            std::string::npos);
  EXPECT_EQ(h.run({"FUNCTION", "DELETE", "nope"}), error("ERR Library not found"));
  EXPECT_EQ(h.run({"FUNCTION", "DELETE", "lib1"}), kOk);
  EXPECT_EQ(h.run({"FCALL", "f1", "0"}), error("ERR Function not found"));
  load(h, code);
  EXPECT_EQ(h.run({"FLUSHALL"}), kOk);  // keys only
  EXPECT_EQ(h.run({"FCALL", "f2", "0"}), bulk("two"));
  EXPECT_EQ(h.run({"FUNCTION", "FLUSH", "bad"}),
            error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"));
  EXPECT_EQ(h.run({"FUNCTION", "FLUSH", "sync", "x"}),
            error("ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION "
                  "HELP."));
  EXPECT_EQ(h.run({"FUNCTION", "FLUSH", "ASYNC"}), kOk);
  EXPECT_EQ(h.run({"FUNCTION", "LIST"}), "*0\r\n");
  EXPECT_EQ(h.run({"FUNCTION", "bad"}), error("ERR unknown subcommand 'bad'. Try FUNCTION HELP."));
  EXPECT_EQ(h.run({"FUNCTION", "KILL"}), error("NOTBUSY No scripts in execution right now."));
}

TEST(FunctionTest, DumpAndRestore) {
  EngineHarness h;
  load(h, library("lib1", "f1", "return 1"));
  load(h, library("lib2", "f2", "return 2"));
  const std::string reply = h.run({"FUNCTION", "DUMP"});
  const std::string payload =
      reply.substr(reply.find("\r\n") + 2, reply.size() - reply.find("\r\n") - 4);
  std::vector<std::string> codes;
  std::string err;
  ASSERT_TRUE(persist::read_functions_payload(payload, &codes, &err)) << err;
  EXPECT_EQ(codes, (std::vector<std::string>{library("lib1", "f1", "return 1"),
                                             library("lib2", "f2", "return 2")}));

  EXPECT_EQ(h.run({"FUNCTION", "RESTORE", payload}), error("ERR Library lib1 already exists"));
  EXPECT_EQ(h.run({"FUNCTION", "FLUSH"}), kOk);
  load(h, library("other", "f2", "return 'other'"));
  EXPECT_EQ(h.run({"FUNCTION", "RESTORE", payload, "REPLACE"}),
            error("ERR Function f2 already exists"));
  EXPECT_EQ(h.run({"FCALL", "f2", "0"}), bulk("other"));  // nothing changed
  EXPECT_EQ(h.run({"FCALL", "f1", "0"}), error("ERR Function not found"));
  EXPECT_EQ(h.run({"FUNCTION", "RESTORE", payload, "FLUSH"}), kOk);
  EXPECT_EQ(h.run({"FCALL", "f2", "0"}), integer(2));
  load(h, library("lib3", "f3", "return 3"));
  EXPECT_EQ(h.run({"FUNCTION", "LOAD", "REPLACE", library("lib1", "f1", "return 'new'")}),
            bulk("lib1"));
  EXPECT_EQ(h.run({"FUNCTION", "RESTORE", payload, "replace"}), kOk);
  EXPECT_EQ(h.run({"FCALL", "f1", "0"}), integer(1));
  EXPECT_EQ(h.run({"FCALL", "f3", "0"}), integer(3));

  EXPECT_EQ(h.run({"FUNCTION", "RESTORE", payload, "bad"}),
            error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or "
                  "REPLACE."));
  EXPECT_EQ(h.run({"FUNCTION", "RESTORE", "bad_payload"}),
            error("ERR DUMP payload version or checksum are wrong"));
  EXPECT_EQ(h.run({"FUNCTION", "RESTORE", "a", "b", "c"}),
            error("ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try "
                  "FUNCTION HELP."));
  h.run({"SET", "k", "v"});
  const std::string key_dump = h.run({"DUMP", "k"});
  const std::string key_payload =
      key_dump.substr(key_dump.find("\r\n") + 2, key_dump.size() - key_dump.find("\r\n") - 4);
  EXPECT_EQ(h.run({"FUNCTION", "RESTORE", key_payload}), error("ERR given type is not a function"));
}

// FUNCTION DUMP payloads made by redis-server 7.0.15: a short library (its
// code stored plain) and one its LZF compression shrinks.
TEST(FunctionTest, RestoresRedisPayloads) {
  EngineHarness h;
  const std::string plain(
      "\xf5\x40\x5a\x23\x21\x6c\x75\x61\x20\x6e\x61\x6d\x65\x3d\x74\x65\x73\x74\x0a\x72\x65\x64"
      "\x69\x73\x2e\x72\x65\x67\x69\x73\x74\x65\x72\x5f\x66\x75\x6e\x63\x74\x69\x6f\x6e\x28\x27"
      "\x74\x65\x73\x74\x27\x2c\x20\x66\x75\x6e\x63\x74\x69\x6f\x6e\x28\x4b\x45\x59\x53\x2c\x20"
      "\x41\x52\x47\x56\x29\x0a\x20\x72\x65\x74\x75\x72\x6e\x20\x27\x68\x65\x6c\x6c\x6f\x27\x20"
      "\x0a\x65\x6e\x64\x29\x0a\x00\xdc\x47\x79\xb5\x43\x44\xe5\x32",
      103);
  const std::string compressed(
      "\xf5\xc3\x40\x56\x40\xcb\x1f\x23\x21\x6c\x75\x61\x20\x6e\x61\x6d\x65\x3d\x62\x69\x67\x0a"
      "\x72\x65\x64\x69\x73\x2e\x72\x65\x67\x69\x73\x74\x65\x72\x5f\x66\x75\x07\x6e\x63\x74\x69"
      "\x6f\x6e\x28\x27\x20\x1c\x02\x27\x2c\x20\xe0\x00\x0f\x16\x4b\x45\x59\x53\x2c\x20\x41\x52"
      "\x47\x56\x29\x0a\x20\x72\x65\x74\x75\x72\x6e\x20\x27\x61\x62\xe0\x6d\x01\x06\x27\x20\x0a"
      "\x65\x6e\x64\x29\x0a\x00\x93\x23\xf7\x32\x92\x30\x4d\x70",
      102);
  EXPECT_EQ(h.run({"FUNCTION", "RESTORE", plain}), kOk);
  EXPECT_EQ(h.run({"FCALL", "test", "0"}), bulk("hello"));
  EXPECT_EQ(h.run({"FUNCTION", "RESTORE", compressed}), kOk);
  std::string ab;
  for (int i = 0; i < 60; ++i) ab += "ab";
  EXPECT_EQ(h.run({"FCALL", "big", "0"}), bulk(ab));
  // Ours, uncompressed, is byte for byte the same as Redis's.
  EXPECT_EQ(persist::make_functions_payload({library("test", "test", "return 'hello'")}, false),
            plain);
}

TEST(FunctionTest, SlowLoadTimesOut) {
  TickingClock clock;
  engine::Config config;
  engine::Engine e(clock, config, commands::all_commands());
  std::string err;
  EXPECT_EQ(e.functions().load("#!lua name=lib\nlocal a = 1\nwhile 1 do a = a + 1 end", false,
                               engine::FunctionStore::kLoadTimeoutMs, &err),
            "");
  EXPECT_EQ(err, "Error registering functions: ERR FUNCTION LOAD timeout");
  // Loading a snapshot has no limit; a library that ends is fine either way.
  EXPECT_EQ(e.functions().load(library("ok", "f", "return 1"), false, 0, &err), "ok");
}

TEST(FunctionTest, SlowFunctionAnswersBusyUntilFunctionKill) {
  SlowScriptFixture f;
  std::vector<std::string> seen;
  f.hooks.on_busy = [&] {
    if (!seen.empty()) return;
    seen.push_back(f.run_b({"GET", "x"}));
    seen.push_back(f.run_b({"SCRIPT", "KILL"}));
    seen.push_back(f.run_b({"FUNCTION", "STATS"}));
    seen.push_back(f.run_b({"SHUTDOWN"}));
    seen.push_back(f.run_b({"FUNCTION", "KILL"}));
  };
  ASSERT_EQ(f.run_a({"FUNCTION", "LOAD",
                     library("lib", "spin", "local a = 1 while true do a = a + 1 end")}),
            bulk("lib"));
  EXPECT_EQ(f.run_a({"FCALL", "spin", "0"}),
            error("ERR Script killed by user with SCRIPT KILL... script: spin, on "
                  "@user_function:3."));
  ASSERT_EQ(seen.size(), 5u);
  const std::string busy =
      "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
  EXPECT_EQ(seen[0], error(busy));
  EXPECT_EQ(seen[1], error(busy));  // SCRIPT KILL does not stop functions
  EXPECT_EQ(
      seen[2].substr(0, 66),
      "*4\r\n$14\r\nrunning_script\r\n*6\r\n$4\r\nname\r\n$4\r\nspin\r\n$7\r\ncommand\r\n*3\r\n");
  EXPECT_EQ(seen[3], error(busy));
  EXPECT_EQ(seen[4], kOk);
  EXPECT_FALSE(f.engine.script_timed_out());
}

TEST(FunctionTest, FunctionKillDoesNotStopEvalNorAFunctionThatWrote) {
  SlowScriptFixture f;
  std::vector<std::string> seen;
  f.hooks.on_busy = [&] {
    if (!seen.empty()) return;
    seen.push_back(f.run_b({"FUNCTION", "KILL"}));
    seen.push_back(f.run_b({"FUNCTION", "STATS"}));
    seen.push_back(f.run_b({"SCRIPT", "KILL"}));
  };
  EXPECT_EQ(f.run_a({"EVAL", "while true do end", "0"}).substr(0, 47),
            "-ERR Script killed by user with SCRIPT KILL... ");
  const std::string eval_busy =
      "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], eval_busy);
  EXPECT_EQ(seen[1], eval_busy);
  EXPECT_EQ(seen[2], kOk);

  seen.clear();
  f.hooks.on_busy = [&] {
    if (!seen.empty()) return;
    seen.push_back(f.run_b({"FUNCTION", "KILL"}));
    f.run_b({"SHUTDOWN", "NOSAVE"});
  };
  f.run_a({"FUNCTION", "LOAD", library("w", "w", "redis.call('set', 'k', 1) while true do end")});
  EXPECT_EQ(f.run_a({"FCALL", "w", "0"}).substr(0, 47),
            "-ERR Script killed by user with SCRIPT KILL... ");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].substr(0, 47), "-UNKILLABLE Sorry the script already executed w");
}

// On a stale replica (link down, replica-serve-stale-data no) only functions
// flagged allow-stale run, and they may call only commands that run stale.
TEST(FunctionTest, StaleReplicaRunsOnlyAllowStaleFunctions) {
  EngineHarness h;
  ASSERT_EQ(load(h,
                 "#!lua name=test\n"
                 "redis.register_function{function_name='f1', callback=function() return "
                 "'hello' end, flags={'no-writes'}}\n"
                 "redis.register_function{function_name='f2', callback=function() return "
                 "'hello' end, flags={'allow-stale', 'no-writes'}}\n"
                 "redis.register_function{function_name='f3', callback=function() return "
                 "redis.call('get', 'x') end, flags={'allow-stale', 'no-writes'}}"),
            bulk("test"));
  auto& repl = h.engine().repl();
  repl.role_replica = true;
  repl.link_up = false;
  repl.serve_stale = false;
  EXPECT_EQ(h.run({"FCALL", "f1", "0"}),
            error("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to "
                  "'no'."));
  EXPECT_EQ(h.run({"FCALL", "f2", "0"}), bulk("hello"));
  EXPECT_EQ(
      h.run({"FCALL", "f3", "0"}).rfind("-ERR Can not execute the command on a stale replica.", 0),
      0u);
  repl.serve_stale = true;
  EXPECT_EQ(h.run({"FCALL", "f1", "0"}), bulk("hello"));
  repl.role_replica = false;
}

// min-replicas-to-write: a function that may write is refused before it
// runs, a no-writes one runs, and a flagless EVAL is stopped at its write.
TEST(FunctionTest, NotEnoughGoodReplicasStopsScriptWrites) {
  EngineHarness h;
  ASSERT_EQ(load(h,
                 "#!lua name=test\n"
                 "redis.register_function('fw', function() return redis.call('get', 'x') end)\n"
                 "redis.register_function{function_name='fr', callback=function() return "
                 "redis.call('get', 'x') end, flags={'no-writes'}}"),
            bulk("test"));
  h.run({"SET", "x", "1"});
  auto& repl = h.engine().repl();
  repl.min_replicas_max_lag = 10;
  repl.min_replicas_to_write = 1;
  repl.good_replicas = 0;
  const std::string refused = "-NOREPLICAS Not enough good replicas to write.";
  EXPECT_EQ(h.run({"FCALL", "fw", "0"}), error(refused.substr(1)));
  EXPECT_EQ(h.run({"FCALL", "fr", "0"}), bulk("1"));
  EXPECT_EQ(h.run({"EVAL", "return redis.call('get', 'x')", "0"}), bulk("1"));
  EXPECT_EQ(h.run({"EVAL", "return redis.call('set', 'x', '2')", "0"}).rfind(refused, 0), 0u);
  EXPECT_EQ(h.run({"GET", "x"}), bulk("1"));
  repl.min_replicas_to_write = 0;
}

}  // namespace
}  // namespace kvd::test
