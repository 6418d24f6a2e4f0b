#include <gtest/gtest.h>

#include <string>

#include "support/engine_harness.hpp"
#include "support/fake_object.hpp"

// Expected replies were checked against redis-server 7.0.15.
namespace kvd::test {
namespace {

const std::string kExpireErr = "ERR invalid expire time in '";

std::string expire_err(std::string_view cmd) {
  return error(kExpireErr + std::string(cmd) + "' command");
}

int64_t expire_at(EngineHarness& h, std::string_view key) {
  return h.engine().db(0).expire_of(raw_entry(h, key));
}

// ---------------------------------------------------------------------------
// GET / SET

TEST(StringCommands, SetAndGet) {
  EngineHarness h;
  EXPECT_EQ(h.run({"SET", "x", "foobar"}), kOk);
  EXPECT_EQ(h.run({"GET", "x"}), bulk("foobar"));
  EXPECT_EQ(h.run({"SET", "x", ""}), kOk);
  EXPECT_EQ(h.run({"GET", "x"}), kEmptyBulk);
  EXPECT_EQ(h.run({"GET", "missing"}), kNil);
  EXPECT_EQ(h.run({"GET"}), error("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(h.run({"SET", "k"}), error("ERR wrong number of arguments for 'set' command"));
}

TEST(StringCommands, SetBigAndBinaryValues) {
  EngineHarness h;
  std::string big(4'000'000, 'a');
  big[17] = '\0';
  EXPECT_EQ(h.run({"SET", "foo", big}), kOk);
  EXPECT_EQ(h.run({"GET", "foo"}), bulk(big));
}

TEST(StringCommands, SetPicksRedisEncodings) {
  EngineHarness h;
  h.run({"SET", "i", "12345"});
  h.run({"SET", "s", "hello"});
  h.run({"SET", "e", std::string(44, 'x')});
  h.run({"SET", "r", std::string(45, 'x')});
  h.run({"SET", "z", "0123"});
  EXPECT_EQ(encoding_of(h, "i"), "int");
  EXPECT_EQ(encoding_of(h, "s"), "embstr");
  EXPECT_EQ(encoding_of(h, "e"), "embstr");
  EXPECT_EQ(encoding_of(h, "r"), "raw");
  EXPECT_EQ(encoding_of(h, "z"), "embstr");
}

TEST(StringCommands, GetWrongType) {
  EngineHarness h;
  add_fake_list(h, "l");
  EXPECT_EQ(h.run({"GET", "l"}), kWrongType);
  EXPECT_EQ(h.run({"SET", "l", "v"}), kOk);  // SET overwrites any type
  EXPECT_EQ(h.run({"GET", "l"}), bulk("v"));
}

TEST(StringCommands, SetNxXx) {
  EngineHarness h;
  EXPECT_EQ(h.run({"SET", "foo", "1", "nx"}), kOk);
  EXPECT_EQ(h.run({"SET", "foo", "2", "NX"}), kNil);
  EXPECT_EQ(h.run({"GET", "foo"}), bulk("1"));
  EXPECT_EQ(h.run({"SET", "bar", "1", "xx"}), kNil);
  EXPECT_EQ(h.run({"GET", "bar"}), kNil);
  EXPECT_EQ(h.run({"SET", "foo", "2", "XX"}), kOk);
  EXPECT_EQ(h.run({"GET", "foo"}), bulk("2"));
}

TEST(StringCommands, SetSyntaxErrors) {
  EngineHarness h;
  for (auto args : std::vector<std::vector<std::string_view>>{
           {"SET", "k", "v", "non-existing-option"},
           {"SET", "k", "v", "NX", "XX"},
           {"SET", "k", "v", "XX", "NX"},
           {"SET", "k", "v", "EX"},
           {"SET", "k", "v", "EX", "10", "PX", "100"},
           {"SET", "k", "v", "EXAT", "10", "PXAT", "100"},
           {"SET", "k", "v", "KEEPTTL", "EX", "1"},
           {"SET", "k", "v", "EX", "1", "KEEPTTL"},
           {"SET", "k", "v", "PERSIST"},
           {"SET", "k", "v", "GETX"},
       }) {
    EXPECT_EQ(h.run(args), kSyntaxErr) << args[3];
  }
  EXPECT_EQ(h.run({"GET", "k"}), kNil);
  // Repeating the same option is accepted; the last expiry wins.
  EXPECT_EQ(h.run({"SET", "k", "v", "EX", "10", "EX", "20", "NX", "NX", "GET", "GET"}), kNil);
  EXPECT_EQ(expire_at(h, "k"), h.clock().now_ms() + 20'000);
}

TEST(StringCommands, SetInvalidExpire) {
  EngineHarness h;
  EXPECT_EQ(h.run({"SET", "k", "v", "EX", "0"}), expire_err("set"));
  EXPECT_EQ(h.run({"SET", "k", "v", "EX", "-1"}), expire_err("set"));
  EXPECT_EQ(h.run({"SET", "k", "v", "PX", "0"}), expire_err("set"));
  EXPECT_EQ(h.run({"SET", "k", "v", "EXAT", "0"}), expire_err("set"));
  EXPECT_EQ(h.run({"SET", "k", "v", "PXAT", "-5"}), expire_err("set"));
  EXPECT_EQ(h.run({"SET", "k", "v", "EX", "9223372036854775807"}), expire_err("set"));
  EXPECT_EQ(h.run({"SET", "k", "v", "PX", "9223372036854775807"}), expire_err("set"));
  EXPECT_EQ(h.run({"SET", "k", "v", "EX", "abc"}), kNotInt);
  EXPECT_EQ(h.run({"SET", "k", "v", "EX", "1.5"}), kNotInt);
  EXPECT_EQ(h.run({"GET", "k"}), kNil);
  EXPECT_EQ(h.run({"SETEX", "k", "0", "v"}), expire_err("setex"));
  EXPECT_EQ(h.run({"PSETEX", "k", "-1", "v"}), expire_err("psetex"));
  EXPECT_EQ(h.run({"GETEX", "k", "EX", "0"}), kNil);  // missing key: checked later
  h.run({"SET", "k", "v"});
  EXPECT_EQ(h.run({"GETEX", "k", "EX", "0"}), expire_err("getex"));
}

TEST(StringCommands, SetExpiryOptions) {
  EngineHarness h;
  const int64_t now = h.clock().now_ms();
  h.run({"SET", "ex", "v", "EX", "10"});
  h.run({"SET", "px", "v", "px", "1500"});
  h.run({"SET", "exat", "v", "EXAT", std::to_string(now / 1000 + 100)});
  h.run({"SET", "pxat", "v", "PXAT", std::to_string(now + 777)});
  EXPECT_EQ(expire_at(h, "ex"), now + 10'000);
  EXPECT_EQ(expire_at(h, "px"), now + 1'500);
  EXPECT_EQ(expire_at(h, "exat"), (now / 1000 + 100) * 1000);
  EXPECT_EQ(expire_at(h, "pxat"), now + 777);

  h.clock().advance_ms(1'499);
  EXPECT_EQ(h.run({"GET", "px"}), bulk("v"));
  h.clock().advance_ms(1);
  EXPECT_EQ(h.run({"GET", "px"}), kNil);
  EXPECT_EQ(h.run({"GET", "ex"}), bulk("v"));
}

TEST(StringCommands, SetClearsOrKeepsTtl) {
  EngineHarness h;
  h.run({"SET", "k", "v", "EX", "100"});
  EXPECT_EQ(h.run({"SET", "k", "v2", "KEEPTTL"}), kOk);
  EXPECT_EQ(expire_at(h, "k"), h.clock().now_ms() + 100'000);
  EXPECT_EQ(h.run({"SET", "k", "v3"}), kOk);
  EXPECT_EQ(expire_at(h, "k"), engine::kNoExpire);
  // XX with an expiry updates both.
  EXPECT_EQ(h.run({"SET", "k", "v4", "XX", "PX", "10000"}), kOk);
  EXPECT_EQ(expire_at(h, "k"), h.clock().now_ms() + 10'000);
}

TEST(StringCommands, SetAbsoluteExpiryInThePastExpiresOnAccess) {
  EngineHarness h;
  EXPECT_EQ(h.run({"SET", "k", "v", "PXAT", "1"}), kOk);
  EXPECT_EQ(h.run({"GET", "k"}), kNil);
}

TEST(StringCommands, SetGetOption) {
  EngineHarness h;
  EXPECT_EQ(h.run({"SET", "foo", "bar", "GET"}), kNil);
  EXPECT_EQ(h.run({"SET", "foo", "bar2", "get"}), bulk("bar"));
  EXPECT_EQ(h.run({"GET", "foo"}), bulk("bar2"));
  // With NX/XX the old value is returned whether or not the write happens.
  EXPECT_EQ(h.run({"SET", "foo", "baz", "GET", "NX"}), bulk("bar2"));
  EXPECT_EQ(h.run({"GET", "foo"}), bulk("bar2"));
  EXPECT_EQ(h.run({"SET", "foo", "baz", "GET", "XX"}), bulk("bar2"));
  EXPECT_EQ(h.run({"GET", "foo"}), bulk("baz"));
  EXPECT_EQ(h.run({"SET", "nope", "x", "GET", "XX"}), kNil);
  EXPECT_EQ(h.run({"GET", "nope"}), kNil);
  EXPECT_EQ(h.run({"SET", "new", "x", "NX", "GET"}), kNil);
  EXPECT_EQ(h.run({"GET", "new"}), bulk("x"));
}

TEST(StringCommands, SetGetOnWrongTypeLeavesKeyAlone) {
  EngineHarness h;
  add_fake_list(h, "l");
  EXPECT_EQ(h.run({"SET", "l", "bar", "GET"}), kWrongType);
  EXPECT_EQ(raw_entry(h, "l")->value.type(), engine::ValueType::kList);
  // The expiry is validated before the type.
  EXPECT_EQ(h.run({"SET", "l", "bar", "GET", "EX", "0"}), expire_err("set"));
}

TEST(StringCommands, SetNx) {
  EngineHarness h;
  EXPECT_EQ(h.run({"SETNX", "novar", "foobared"}), integer(1));
  EXPECT_EQ(h.run({"SETNX", "novar", "blabla"}), integer(0));
  EXPECT_EQ(h.run({"GET", "novar"}), bulk("foobared"));
}

TEST(StringCommands, SetNxOnExpiredKeySucceeds) {
  EngineHarness h;
  h.run({"SET", "x", "10", "EX", "1"});
  EXPECT_EQ(h.run({"SETNX", "x", "20"}), integer(0));
  h.clock().advance_ms(1'000);
  EXPECT_EQ(h.run({"SETNX", "x", "20"}), integer(1));
  EXPECT_EQ(h.run({"GET", "x"}), bulk("20"));
  EXPECT_EQ(expire_at(h, "x"), engine::kNoExpire);
}

TEST(StringCommands, SetExAndPSetEx) {
  EngineHarness h;
  EXPECT_EQ(h.run({"SETEX", "k", "10", "v"}), kOk);
  EXPECT_EQ(expire_at(h, "k"), h.clock().now_ms() + 10'000);
  EXPECT_EQ(h.run({"PSETEX", "p", "100", "v"}), kOk);
  EXPECT_EQ(expire_at(h, "p"), h.clock().now_ms() + 100);
  EXPECT_EQ(h.run({"SETEX", "k", "x", "v"}), kNotInt);
  EXPECT_EQ(h.run({"SETEX", "k", "10"}),
            error("ERR wrong number of arguments for 'setex' command"));
  h.clock().advance_ms(100);
  EXPECT_EQ(h.run({"GET", "p"}), kNil);
}

// ---------------------------------------------------------------------------
// GETSET / GETDEL / GETEX

TEST(StringCommands, GetSet) {
  EngineHarness h;
  EXPECT_EQ(h.run({"GETSET", "foo", "xyz"}), kNil);
  EXPECT_EQ(h.run({"GET", "foo"}), bulk("xyz"));
  h.run({"SET", "foo", "bar", "EX", "100"});
  EXPECT_EQ(h.run({"GETSET", "foo", "xyz"}), bulk("bar"));
  EXPECT_EQ(expire_at(h, "foo"), engine::kNoExpire);
  add_fake_list(h, "l");
  EXPECT_EQ(h.run({"GETSET", "l", "x"}), kWrongType);
}

TEST(StringCommands, GetDel) {
  EngineHarness h;
  h.run({"SET", "foo", "bar"});
  EXPECT_EQ(h.run({"GETDEL", "foo"}), bulk("bar"));
  EXPECT_EQ(h.run({"GETDEL", "foo"}), kNil);
  EXPECT_EQ(h.engine().db(0).size(), 0u);
  add_fake_list(h, "l");
  EXPECT_EQ(h.run({"GETDEL", "l"}), kWrongType);
  EXPECT_NE(raw_entry(h, "l"), nullptr);
}

TEST(StringCommands, GetExOptions) {
  EngineHarness h;
  const int64_t now = h.clock().now_ms();
  h.run({"SET", "foo", "bar"});
  EXPECT_EQ(h.run({"GETEX", "foo"}), bulk("bar"));
  EXPECT_EQ(expire_at(h, "foo"), engine::kNoExpire);
  EXPECT_EQ(h.run({"GETEX", "foo", "EX", "10"}), bulk("bar"));
  EXPECT_EQ(expire_at(h, "foo"), now + 10'000);
  EXPECT_EQ(h.run({"GETEX", "foo", "px", "5000"}), bulk("bar"));
  EXPECT_EQ(expire_at(h, "foo"), now + 5'000);
  EXPECT_EQ(h.run({"GETEX", "foo", "EXAT", std::to_string(now / 1000 + 50)}), bulk("bar"));
  EXPECT_EQ(expire_at(h, "foo"), (now / 1000 + 50) * 1000);
  EXPECT_EQ(h.run({"GETEX", "foo", "PXAT", std::to_string(now + 42)}), bulk("bar"));
  EXPECT_EQ(expire_at(h, "foo"), now + 42);
  EXPECT_EQ(h.run({"GETEX", "foo", "PERSIST"}), bulk("bar"));
  EXPECT_EQ(expire_at(h, "foo"), engine::kNoExpire);
}

TEST(StringCommands, GetExPastTimestampDeletes) {
  EngineHarness h;
  h.run({"SET", "foo", "bar"});
  EXPECT_EQ(h.run({"GETEX", "foo", "PXAT", std::to_string(h.clock().now_ms())}), bulk("bar"));
  EXPECT_EQ(raw_entry(h, "foo"), nullptr);
  h.run({"SET", "foo", "bar"});
  EXPECT_EQ(h.run({"GETEX", "foo", "EXAT", "1"}), bulk("bar"));
  EXPECT_EQ(raw_entry(h, "foo"), nullptr);
}

TEST(StringCommands, GetExErrors) {
  EngineHarness h;
  h.run({"SET", "foo", "bar"});
  EXPECT_EQ(h.run({"GETEX", "foo", "non-existent-option"}), kSyntaxErr);
  EXPECT_EQ(h.run({"GETEX", "foo", "PERSIST", "EX", "1"}), kSyntaxErr);
  EXPECT_EQ(h.run({"GETEX", "foo", "EX", "1", "PERSIST"}), kSyntaxErr);
  EXPECT_EQ(h.run({"GETEX", "foo", "KEEPTTL"}), kSyntaxErr);
  EXPECT_EQ(h.run({"GETEX", "foo", "NX"}), kSyntaxErr);
  EXPECT_EQ(h.run({"GETEX", "foo", "GET"}), kSyntaxErr);
  EXPECT_EQ(h.run({"GETEX", "foo", "EX"}), kSyntaxErr);
  EXPECT_EQ(h.run({"GETEX", "missing", "bad"}), kSyntaxErr);  // syntax before lookup
  EXPECT_EQ(h.run({"GETEX", "foo", "EX", "x"}), kNotInt);
  EXPECT_EQ(h.run({"GETEX"}), error("ERR wrong number of arguments for 'getex' command"));
  add_fake_list(h, "l");
  EXPECT_EQ(h.run({"GETEX", "l", "EX", "0"}), kWrongType);  // type before expiry value
}

// ---------------------------------------------------------------------------
// MGET / MSET / MSETNX

TEST(StringCommands, MGet) {
  EngineHarness h;
  h.run({"SET", "foo", "BAR"});
  h.run({"SET", "bar", "FOO"});
  add_fake_list(h, "l");
  EXPECT_EQ(h.run({"MGET", "foo", "baazz", "bar", "l"}),
            array({bulk("BAR"), kNil, bulk("FOO"), kNil}));
}

TEST(StringCommands, MSet) {
  EngineHarness h;
  EXPECT_EQ(h.run({"MSET", "x", "10", "y", "foo bar", "z", "x\n\r\n"}), kOk);
  EXPECT_EQ(h.run({"MGET", "x", "y", "z"}), array({bulk("10"), bulk("foo bar"), bulk("x\n\r\n")}));
  EXPECT_EQ(h.run({"MSET", "x", "10", "y"}),
            error("ERR wrong number of arguments for 'mset' command"));
  EXPECT_EQ(h.run({"MSETNX", "x", "10", "y"}),
            error("ERR wrong number of arguments for 'msetnx' command"));
  // MSET replaces any type and clears TTLs.
  add_fake_list(h, "l");
  h.run({"SET", "t", "v", "EX", "100"});
  EXPECT_EQ(h.run({"MSET", "l", "1", "t", "2", "l", "3"}), kOk);
  EXPECT_EQ(h.run({"MGET", "l", "t"}), array({bulk("3"), bulk("2")}));
  EXPECT_EQ(expire_at(h, "t"), engine::kNoExpire);
}

TEST(StringCommands, MSetNx) {
  EngineHarness h;
  h.run({"SET", "x", "10"});
  EXPECT_EQ(h.run({"MSETNX", "x1", "xxx", "y2", "yyy", "x", "20"}), integer(0));
  EXPECT_EQ(h.run({"MGET", "x1", "y2", "x"}), array({kNil, kNil, bulk("10")}));
  EXPECT_EQ(h.run({"MSETNX", "x1", "xxx", "y2", "yyy"}), integer(1));
  EXPECT_EQ(h.run({"MGET", "x1", "y2"}), array({bulk("xxx"), bulk("yyy")}));
  EXPECT_EQ(h.run({"MSETNX", "q", "a", "q", "b"}), integer(1));
  EXPECT_EQ(h.run({"GET", "q"}), bulk("b"));
  EXPECT_EQ(h.run({"MSETNX", "q", "c", "q", "d"}), integer(0));
}

// ---------------------------------------------------------------------------
// INCR family

TEST(StringCommands, IncrDecr) {
  EngineHarness h;
  EXPECT_EQ(h.run({"INCR", "novar"}), integer(1));
  EXPECT_EQ(h.run({"GET", "novar"}), bulk("1"));
  EXPECT_EQ(h.run({"INCR", "novar"}), integer(2));
  h.run({"SET", "novar", "100"});
  EXPECT_EQ(h.run({"INCR", "novar"}), integer(101));
  EXPECT_EQ(h.run({"DECR", "novar"}), integer(100));
  h.run({"SET", "novar", "17179869184"});
  EXPECT_EQ(h.run({"INCRBY", "novar", "17179869184"}), integer(34359738368));
  h.run({"SET", "novar", "17179869184"});
  EXPECT_EQ(h.run({"DECRBY", "novar", "17179869185"}), integer(-1));
  EXPECT_EQ(h.run({"DECRBY", "fresh", "5"}), integer(-5));
  EXPECT_EQ(encoding_of(h, "novar"), "int");
}

TEST(StringCommands, IncrRejectsNonCanonicalIntegers) {
  EngineHarness h;
  for (const char* v : {"    11", "11    ", " 11 ", "01", "+1", "abc", "1.5", "",
                        "12345678901234567890123", "9223372036854775808"}) {
    h.run({"SET", "novar", v});
    EXPECT_EQ(h.run({"INCR", "novar"}), kNotInt) << v;
    EXPECT_EQ(h.run({"GET", "novar"}), bulk(v));
  }
  h.run({"SET", "novar", "-0"});
  EXPECT_EQ(h.run({"INCR", "novar"}), kNotInt);
  h.run({"SET", "n", "1"});
  EXPECT_EQ(h.run({"INCRBY", "n", "x"}), kNotInt);
  EXPECT_EQ(h.run({"INCRBY", "n", "1.5"}), kNotInt);
  EXPECT_EQ(h.run({"INCRBY", "n", "9223372036854775808"}), kNotInt);
}

TEST(StringCommands, IncrOverflow) {
  EngineHarness h;
  const std::string overflow = error("ERR increment or decrement would overflow");
  h.run({"SET", "i", "9223372036854775807"});
  EXPECT_EQ(h.run({"INCR", "i"}), overflow);
  EXPECT_EQ(h.run({"INCRBY", "i", "-1"}), integer(9223372036854775806));
  h.run({"SET", "i", "-9223372036854775808"});
  EXPECT_EQ(h.run({"DECR", "i"}), overflow);
  EXPECT_EQ(h.run({"INCRBY", "i", "-1"}), overflow);
  EXPECT_EQ(h.run({"GET", "i"}), bulk("-9223372036854775808"));
  EXPECT_EQ(h.run({"DECRBY", "x", "-9223372036854775808"}), error("ERR decrement would overflow"));
  EXPECT_EQ(h.run({"DECRBY", "j", "9223372036854775807"}), integer(-9223372036854775807));
  EXPECT_EQ(h.run({"DECR", "j"}), integer(INT64_MIN));
  EXPECT_EQ(h.run({"DECR", "j"}), overflow);
}

TEST(StringCommands, IncrKeepsTtlAndChecksType) {
  EngineHarness h;
  h.run({"SET", "c", "5", "EX", "100"});
  EXPECT_EQ(h.run({"INCRBY", "c", "5"}), integer(10));
  EXPECT_EQ(expire_at(h, "c"), h.clock().now_ms() + 100'000);
  add_fake_list(h, "l");
  EXPECT_EQ(h.run({"INCR", "l"}), kWrongType);
  EXPECT_EQ(h.run({"INCRBYFLOAT", "l", "1.0"}), kWrongType);
  // The increment is parsed before the key is looked at.
  EXPECT_EQ(h.run({"INCRBY", "l", "x"}), kNotInt);
}

TEST(StringCommands, IncrByFloat) {
  EngineHarness h;
  EXPECT_EQ(h.run({"INCRBYFLOAT", "novar", "1"}), bulk("1"));
  EXPECT_EQ(h.run({"INCRBYFLOAT", "novar", "0.25"}), bulk("1.25"));
  EXPECT_EQ(h.run({"GET", "novar"}), bulk("1.25"));
  h.run({"SET", "novar", "1.5"});
  EXPECT_EQ(h.run({"INCRBYFLOAT", "novar", "1.5"}), bulk("3"));
  EXPECT_EQ(encoding_of(h, "novar"), "embstr");  // stored as text, not as an int
  EXPECT_EQ(h.run({"INCR", "novar"}), integer(4));
  h.run({"SET", "novar", "17179869184"});
  EXPECT_EQ(h.run({"INCRBYFLOAT", "novar", "1.5"}), bulk("17179869185.5"));
  h.run({"SET", "novar", "17179869184"});
  EXPECT_EQ(h.run({"INCRBYFLOAT", "novar", "17179869184"}), bulk("34359738368"));
  h.run({"SET", "foo", "1"});
  EXPECT_EQ(h.run({"INCRBYFLOAT", "foo", "-1.1"}), bulk("-0.1"));
  EXPECT_EQ(h.run({"INCRBYFLOAT", "e", "5.0e3"}), bulk("5000"));
  EXPECT_EQ(h.run({"INCRBYFLOAT", "h", ".5"}), bulk("0.5"));
  // Long double precision shows through, exactly as in Redis.
  EXPECT_EQ(h.run({"INCRBYFLOAT", "g", "1e308"}).substr(0, 30), "$308\r\n999999999999999999966858");
  // Beyond double range is fine for a long double.
  EXPECT_EQ(h.run({"INCRBYFLOAT", "tiny", "1e-400"}), bulk("0"));
}

TEST(StringCommands, IncrByFloatNoNegativeZero) {
  EngineHarness h;
  h.run({"INCRBYFLOAT", "foo", "0.024390243902439025"});
  h.run({"INCRBYFLOAT", "foo", "-0.024390243902439025"});
  EXPECT_EQ(h.run({"GET", "foo"}), bulk("0"));
  EXPECT_EQ(h.run({"INCRBYFLOAT", "z", "-0.0"}), bulk("0"));
}

TEST(StringCommands, IncrByFloatErrors) {
  EngineHarness h;
  const std::string not_float = error("ERR value is not a valid float");
  for (const char* v : {"    11", "11    ", " 11 ", "abc", "1e5000"}) {
    h.run({"SET", "novar", v});
    EXPECT_EQ(h.run({"INCRBYFLOAT", "novar", "1.0"}), not_float) << v;
  }
  h.run({"SET", "foo", "1"});
  h.run({"SETRANGE", "foo", "2", "2"});  // "1\0" "2": embedded NUL
  EXPECT_EQ(h.run({"INCRBYFLOAT", "foo", "1"}), not_float);
  h.run({"SET", "foo", "0"});
  for (const char* v : {"abc", "", " 1", "nan", "1e-5000", "1e5000"}) {
    EXPECT_EQ(h.run({"INCRBYFLOAT", "foo", v}), not_float) << v;
  }
  EXPECT_EQ(h.run({"INCRBYFLOAT", "foo", "+inf"}),
            error("ERR increment would produce NaN or Infinity"));
  EXPECT_EQ(h.run({"GET", "foo"}), bulk("0"));
}

// ---------------------------------------------------------------------------
// APPEND / STRLEN

TEST(StringCommands, AppendAndStrlen) {
  EngineHarness h;
  EXPECT_EQ(h.run({"APPEND", "a", "hello"}), integer(5));
  EXPECT_EQ(encoding_of(h, "a"), "embstr");
  EXPECT_EQ(h.run({"APPEND", "a", " world"}), integer(11));
  EXPECT_EQ(encoding_of(h, "a"), "raw");
  EXPECT_EQ(h.run({"GET", "a"}), bulk("hello world"));
  EXPECT_EQ(h.run({"STRLEN", "a"}), integer(11));
  EXPECT_EQ(h.run({"STRLEN", "notakey"}), integer(0));
  h.run({"SET", "myinteger", "-555"});
  EXPECT_EQ(h.run({"STRLEN", "myinteger"}), integer(4));
  EXPECT_EQ(h.run({"APPEND", "n", "12"}), integer(2));
  EXPECT_EQ(encoding_of(h, "n"), "int");
  EXPECT_EQ(h.run({"APPEND", "n", "34"}), integer(4));
  EXPECT_EQ(h.run({"INCR", "n"}), integer(1235));
  EXPECT_EQ(h.run({"APPEND", "e", ""}), integer(0));
  EXPECT_EQ(h.run({"GET", "e"}), kEmptyBulk);
  add_fake_list(h, "l");
  EXPECT_EQ(h.run({"APPEND", "l", "x"}), kWrongType);
  EXPECT_EQ(h.run({"STRLEN", "l"}), kWrongType);
}

TEST(StringCommands, AppendKeepsTtl) {
  EngineHarness h;
  h.run({"SET", "a", "x", "EX", "10"});
  h.run({"APPEND", "a", "y"});
  EXPECT_EQ(expire_at(h, "a"), h.clock().now_ms() + 10'000);
}

TEST(StringCommands, AppendRespectsProtoMaxBulkLen) {
  EngineHarness h;
  h.config().v().proto_max_bulk_len = 1024 * 1024;
  h.run({"SET", "a", std::string(1024 * 1024 - 1, 'x')});
  EXPECT_EQ(h.run({"APPEND", "a", "y"}), integer(1024 * 1024));
  EXPECT_EQ(h.run({"APPEND", "a", "z"}),
            error("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
  EXPECT_EQ(h.run({"STRLEN", "a"}), integer(1024 * 1024));
}

// ---------------------------------------------------------------------------
// GETRANGE / SUBSTR / SETRANGE

TEST(StringCommands, GetRange) {
  EngineHarness h;
  EXPECT_EQ(h.run({"GETRANGE", "mykey", "0", "-1"}), kEmptyBulk);
  h.run({"SET", "mykey", "Hello World"});
  EXPECT_EQ(h.run({"GETRANGE", "mykey", "0", "3"}), bulk("Hell"));
  EXPECT_EQ(h.run({"GETRANGE", "mykey", "0", "-1"}), bulk("Hello World"));
  EXPECT_EQ(h.run({"GETRANGE", "mykey", "-4", "-1"}), bulk("orld"));
  EXPECT_EQ(h.run({"GETRANGE", "mykey", "5", "3"}), kEmptyBulk);
  EXPECT_EQ(h.run({"GETRANGE", "mykey", "5", "5000"}), bulk(" World"));
  EXPECT_EQ(h.run({"GETRANGE", "mykey", "-5000", "10000"}), bulk("Hello World"));
  EXPECT_EQ(h.run({"GETRANGE", "mykey", "-1", "-5"}), kEmptyBulk);
  EXPECT_EQ(h.run({"GETRANGE", "mykey", "-100", "-50"}), bulk("H"));
  EXPECT_EQ(h.run({"GETRANGE", "mykey", "20", "30"}), kEmptyBulk);
  EXPECT_EQ(h.run({"GETRANGE", "mykey", "0", "4294967297"}), bulk("Hello World"));
  EXPECT_EQ(h.run({"GETRANGE", "mykey", "-9223372036854775808", "9223372036854775807"}),
            bulk("Hello World"));
  EXPECT_EQ(h.run({"SUBSTR", "mykey", "1", "2"}), bulk("el"));
}

TEST(StringCommands, GetRangeIntegerAndEmpty) {
  EngineHarness h;
  h.run({"SET", "mykey", "1234"});
  EXPECT_EQ(h.run({"GETRANGE", "mykey", "0", "2"}), bulk("123"));
  EXPECT_EQ(h.run({"GETRANGE", "mykey", "-3", "-1"}), bulk("234"));
  EXPECT_EQ(h.run({"GETRANGE", "mykey", "3", "5000"}), bulk("4"));
  h.run({"SET", "e", ""});
  EXPECT_EQ(h.run({"GETRANGE", "e", "0", "-1"}), kEmptyBulk);
  EXPECT_EQ(h.run({"GETRANGE", "e", "-1", "0"}), kEmptyBulk);
}

TEST(StringCommands, GetRangeErrors) {
  EngineHarness h;
  h.run({"SET", "s", "abc"});
  EXPECT_EQ(h.run({"GETRANGE", "s", "a", "1"}), kNotInt);
  EXPECT_EQ(h.run({"GETRANGE", "s", "1", "b"}), kNotInt);
  EXPECT_EQ(h.run({"GETRANGE", "missing", "x", "1"}), kNotInt);  // parsed before lookup
  add_fake_list(h, "l");
  EXPECT_EQ(h.run({"GETRANGE", "l", "0", "1"}), kWrongType);
  EXPECT_EQ(h.run({"GETRANGE", "s", "0"}),
            error("ERR wrong number of arguments for 'getrange' command"));
}

TEST(StringCommands, SetRangeCreatesAndPads) {
  EngineHarness h;
  EXPECT_EQ(h.run({"SETRANGE", "mykey", "0", "foo"}), integer(3));
  EXPECT_EQ(h.run({"GET", "mykey"}), bulk("foo"));
  EXPECT_EQ(encoding_of(h, "mykey"), "raw");
  EXPECT_EQ(h.run({"SETRANGE", "empty", "0", ""}), integer(0));
  EXPECT_EQ(raw_entry(h, "empty"), nullptr);
  EXPECT_EQ(h.run({"SETRANGE", "pad", "1", "foo"}), integer(4));
  EXPECT_EQ(h.run({"GET", "pad"}), bulk(std::string("\0foo", 4)));
}

TEST(StringCommands, SetRangeOnExistingStrings) {
  EngineHarness h;
  h.run({"SET", "mykey", "foo"});
  EXPECT_EQ(h.run({"SETRANGE", "mykey", "0", "b"}), integer(3));
  EXPECT_EQ(h.run({"GET", "mykey"}), bulk("boo"));
  EXPECT_EQ(h.run({"SETRANGE", "mykey", "0", ""}), integer(3));
  EXPECT_EQ(h.run({"SETRANGE", "mykey", "1", "o"}), integer(3));
  EXPECT_EQ(h.run({"SETRANGE", "mykey", "4", "bar"}), integer(7));
  EXPECT_EQ(h.run({"GET", "mykey"}), bulk(std::string("boo\0bar", 7)));
}

TEST(StringCommands, SetRangeIntegerEncoding) {
  EngineHarness h;
  h.run({"SET", "mykey", "1234"});
  EXPECT_EQ(h.run({"SETRANGE", "mykey", "0", ""}), integer(4));
  EXPECT_EQ(encoding_of(h, "mykey"), "int");  // nothing written, nothing converted
  EXPECT_EQ(h.run({"SETRANGE", "mykey", "0", "2"}), integer(4));
  EXPECT_EQ(encoding_of(h, "mykey"), "raw");
  EXPECT_EQ(h.run({"GET", "mykey"}), bulk("2234"));
  h.run({"SET", "mykey", "1234"});
  EXPECT_EQ(h.run({"SETRANGE", "mykey", "5", "2"}), integer(6));
  EXPECT_EQ(h.run({"GET", "mykey"}), bulk(std::string("1234\0002", 6)));
}

TEST(StringCommands, SetRangeErrorsAndLimits) {
  EngineHarness h;
  const std::string too_big = error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  EXPECT_EQ(h.run({"SETRANGE", "mykey", "536870908", "world"}), too_big);
  EXPECT_EQ(raw_entry(h, "mykey"), nullptr);
  h.run({"SET", "mykey", "hello"});
  EXPECT_EQ(h.run({"SETRANGE", "mykey", "-1", "world"}), error("ERR offset is out of range"));
  EXPECT_EQ(h.run({"SETRANGE", "mykey", "x", "world"}), kNotInt);
  EXPECT_EQ(h.run({"SETRANGE", "mykey", "536870908", "world"}), too_big);
  EXPECT_EQ(h.run({"SETRANGE", "K", "9223372036854775807", "A"}), too_big);
  EXPECT_EQ(h.run({"SETRANGE", "K", "2147483647", "A"}), too_big);
  EXPECT_EQ(h.run({"SETRANGE", "mykey", "536870912", ""}), integer(5));
  EXPECT_EQ(h.run({"GET", "mykey"}), bulk("hello"));
  add_fake_list(h, "l");
  EXPECT_EQ(h.run({"SETRANGE", "l", "0", "bar"}), kWrongType);
}

TEST(StringCommands, SetRangeLimitCannotExceedValueCapacity) {
  EngineHarness h;
  // Even with proto-max-bulk-len raised past 4GB, a string must stay within
  // what a Value can represent.
  h.config().v().proto_max_bulk_len = 8LL * 1024 * 1024 * 1024;
  EXPECT_EQ(h.run({"SETRANGE", "k", "4294967295", "x"}),
            error("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
}

// ---------------------------------------------------------------------------
// LCS

const char* kRna1 =
    "CACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCTGTCACTC"
    "GGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTCTATCTTCTGCAG"
    "GCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTTCGTCCGGGTGTG";
const char* kRna2 =
    "ATTAAAGGTTTATACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTG"
    "TGGCTGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTC"
    "TATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTT";
const char* kRnaLcs =
    "ACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCTGTCACTCGG"
    "CTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTCTATCTTCTGCAGGCT"
    "GCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTT";

std::string range(int a0, int a1, int b0, int b1, int len = -1) {
  std::string r = len < 0 ? "*2\r\n" : "*3\r\n";
  r += array({integer(a0), integer(a1)}) + array({integer(b0), integer(b1)});
  if (len >= 0) r += integer(len);
  return r;
}

TEST(StringCommands, LcsStringAndLen) {
  EngineHarness h;
  h.run({"SET", "virus1", kRna1});
  h.run({"SET", "virus2", kRna2});
  EXPECT_EQ(h.run({"LCS", "virus1", "virus2"}), bulk(kRnaLcs));
  EXPECT_EQ(h.run({"LCS", "virus1", "virus2", "LEN"}),
            integer(static_cast<int64_t>(std::string(kRnaLcs).size())));
}

TEST(StringCommands, LcsIndexes) {
  EngineHarness h;
  h.run({"SET", "virus1", kRna1});
  h.run({"SET", "virus2", kRna2});
  std::string matches = "*5\r\n" + range(238, 238, 239, 239) + range(236, 236, 238, 238) +
                        range(229, 230, 236, 237) + range(224, 224, 235, 235) +
                        range(1, 222, 13, 234);
  EXPECT_EQ(h.run({"LCS", "virus1", "virus2", "IDX"}),
            "*4\r\n" + bulk("matches") + matches + bulk("len") + integer(227));
  std::string with_len = "*5\r\n" + range(238, 238, 239, 239, 1) + range(236, 236, 238, 238, 1) +
                         range(229, 230, 236, 237, 2) + range(224, 224, 235, 235, 1) +
                         range(1, 222, 13, 234, 222);
  EXPECT_EQ(h.run({"LCS", "virus1", "virus2", "IDX", "WITHMATCHLEN"}),
            "*4\r\n" + bulk("matches") + with_len + bulk("len") + integer(227));
  EXPECT_EQ(h.run({"LCS", "virus1", "virus2", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "5"}),
            "*4\r\n" + bulk("matches") + "*1\r\n" + range(1, 222, 13, 234, 222) + bulk("len") +
                integer(227));
}

TEST(StringCommands, LcsSmallAndResp3) {
  EngineHarness h;
  h.run({"SET", "a", "ohmytext"});
  h.run({"SET", "b", "mynewtext"});
  EXPECT_EQ(h.run({"LCS", "a", "b"}), bulk("mytext"));
  EXPECT_EQ(h.run({"LCS", "a", "b", "IDX", "MINMATCHLEN", "-5"}),
            "*4\r\n" + bulk("matches") + "*2\r\n" + range(4, 7, 5, 8) + range(2, 3, 0, 1) +
                bulk("len") + integer(6));
  h.client().resp = 3;
  EXPECT_EQ(h.run({"LCS", "a", "b", "IDX", "MINMATCHLEN", "4"}),
            "%2\r\n" + bulk("matches") + "*1\r\n" + range(4, 7, 5, 8) + bulk("len") + integer(6));
}

TEST(StringCommands, LcsMissingKeysAndIntegers) {
  EngineHarness h;
  h.run({"SET", "a", "abc"});
  EXPECT_EQ(h.run({"LCS", "a", "missing"}), kEmptyBulk);
  EXPECT_EQ(h.run({"LCS", "missing", "missing2", "IDX"}),
            "*4\r\n" + bulk("matches") + "*0\r\n" + bulk("len") + integer(0));
  h.run({"SET", "n1", "12345"});
  h.run({"SET", "n2", "2345"});
  EXPECT_EQ(
      h.run({"LCS", "n1", "n2", "IDX", "WITHMATCHLEN"}),
      "*4\r\n" + bulk("matches") + "*1\r\n" + range(1, 4, 0, 3, 4) + bulk("len") + integer(4));
}

TEST(StringCommands, LcsErrors) {
  EngineHarness h;
  h.run({"SET", "a", "abc"});
  h.run({"SET", "b", "abd"});
  EXPECT_EQ(h.run({"LCS", "a", "b", "LEN", "IDX"}),
            error("ERR If you want both the length and indexes, please just use IDX."));
  EXPECT_EQ(h.run({"LCS", "a", "b", "MINMATCHLEN"}), kSyntaxErr);
  EXPECT_EQ(h.run({"LCS", "a", "b", "MINMATCHLEN", "x"}), kNotInt);
  EXPECT_EQ(h.run({"LCS", "a", "b", "foo"}), kSyntaxErr);
  EXPECT_EQ(h.run({"LCS", "a"}), error("ERR wrong number of arguments for 'lcs' command"));
  add_fake_list(h, "l");
  EXPECT_EQ(h.run({"LCS", "a", "l"}), error("ERR The specified keys must contain string values"));
  EXPECT_EQ(h.run({"LCS", "l", "a", "foo"}),
            error("ERR The specified keys must contain string values"));
}

TEST(StringCommands, LcsTableBoundedByProtoMaxBulkLen) {
  EngineHarness h;
  h.config().v().proto_max_bulk_len = 1024 * 1024;
  // 600 x 600 cells of 4 bytes is over 1MB.
  h.run({"SET", "a", std::string(600, 'a')});
  h.run({"SET", "b", std::string(600, 'a')});
  EXPECT_EQ(h.run({"LCS", "a", "b"}),
            error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
  h.run({"SET", "b", std::string(100, 'a')});
  EXPECT_EQ(h.run({"LCS", "a", "b", "LEN"}), integer(100));
}

// ---------------------------------------------------------------------------
// Expiry and accounting

TEST(StringCommands, WritesToExpiredKeysStartFresh) {
  EngineHarness h;
  h.run({"SET", "c", "41", "PX", "10"});
  h.run({"SET", "s", "hello", "PX", "10"});
  h.run({"SET", "a", "x", "PX", "10"});
  h.clock().advance_ms(10);
  EXPECT_EQ(h.run({"INCR", "c"}), integer(1));
  EXPECT_EQ(expire_at(h, "c"), engine::kNoExpire);
  EXPECT_EQ(h.run({"SETRANGE", "s", "1", "i"}), integer(2));
  EXPECT_EQ(h.run({"GET", "s"}), bulk(std::string("\0i", 2)));
  EXPECT_EQ(h.run({"APPEND", "a", "y"}), integer(1));
  EXPECT_EQ(h.run({"MSETNX", "c2", "1"}), integer(1));
}

TEST(StringCommands, KeyspaceHitsAndMisses) {
  EngineHarness h;
  auto& stats = h.engine().stats();
  h.run({"SET", "k", "v"});  // writes never count
  h.run({"INCR", "n"});
  EXPECT_EQ(stats.keyspace_hits + stats.keyspace_misses, 0u);
  h.run({"GET", "k"});
  h.run({"GET", "missing"});
  h.run({"MGET", "k", "n", "missing"});
  h.run({"SET", "k", "v2", "GET"});
  EXPECT_EQ(stats.keyspace_hits, 4u);
  EXPECT_EQ(stats.keyspace_misses, 2u);
}

// ---------------------------------------------------------------------------
// Command table

TEST(StringCommands, CommandSpecs) {
  EngineHarness h;
  const auto& t = h.engine().commands();
  for (const char* name :
       {"get",    "set",    "setnx",    "setex",    "psetex", "mget",   "mset",   "msetnx",
        "getset", "getdel", "getex",    "incr",     "decr",   "incrby", "decrby", "incrbyfloat",
        "append", "strlen", "getrange", "setrange", "substr", "lcs"}) {
    const engine::CommandSpec* spec = t.find(name);
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_EQ(spec->group, "string") << name;
    EXPECT_NE(spec->handler, nullptr) << name;
  }
  EXPECT_EQ(t.find("mset")->key_step, 2);
  EXPECT_EQ(t.find("lcs")->last_key, 2);
  EXPECT_EQ(engine::acl_category_names(t.find("get")->acl_categories),
            (std::vector<std::string>{"@read", "@string", "@fast"}));
}

}  // namespace
}  // namespace kvd::test
