// ACL users through the engine: the rules of ACL SETUSER, what ACL GETUSER
// and ACL LIST say of them, ACL DRYRUN, the categories, NOPERM refusals (at
// the top level, in MULTI/EXEC, in scripts), ACL LOG, AUTH/HELLO and the
// clients a change of users disconnects. Expected replies are what
// redis-server 7.0.15 sends for the same commands.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kvd/common/sha1.hpp"
#include "kvd/engine/acl.hpp"
#include "support/engine_harness.hpp"

namespace kvd::test {
namespace {

// SHA-256 of the passwords used below, as redis-server shows them.
constexpr const char* kHashPw1 = "c592df4a86933b92addc9842402ddf198c638ea9be58916ee6e3734e1e3152f8";
constexpr const char* kHashPw2 = "93915a0a4bf8f634cb1856494dd4304472ad46b9827f541f76b6761c49cc55b0";
constexpr const char* kHashX = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";
constexpr const char* kHashY = "a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa";
constexpr const char* kHashSecret =
    "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b";
constexpr const char* kZeroHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

const std::string kWrongPass =
    error("WRONGPASS invalid username-password pair or user is disabled.");
const std::string kNoPermKeys =
    error("NOPERM this user has no permissions to access one of the keys used as arguments");
const std::string kNoPermChannels =
    error("NOPERM this user has no permissions to access one of the channels used as arguments");

std::string noperm_command(std::string_view name) {
  return error("NOPERM this user has no permissions to run the '" + std::string(name) +
               "' command");
}

std::string setuser_error(std::string_view op, std::string_view why) {
  return error("ERR Error in ACL SETUSER modifier '" + std::string(op) + "': " + std::string(why));
}

// A RESP2 array of bulk strings.
std::string bulks(const std::vector<std::string>& items) {
  std::string r = "*" + std::to_string(items.size()) + "\r\n";
  for (const auto& i : items) r += bulk(i);
  return r;
}

// One selector of ACL GETUSER's "selectors" (RESP2).
std::string selector(std::string_view commands, std::string_view keys, std::string_view channels) {
  return "*6\r\n" + bulk("commands") + bulk(commands) + bulk("keys") + bulk(keys) +
         bulk("channels") + bulk(channels);
}

// ACL GETUSER's whole RESP2 reply.
std::string user_reply(const std::vector<std::string>& flags,
                       const std::vector<std::string>& passwords, std::string_view commands,
                       std::string_view keys, std::string_view channels,
                       const std::vector<std::string>& selectors = {}) {
  std::string r = "*12\r\n" + bulk("flags") + bulks(flags) + bulk("passwords") + bulks(passwords) +
                  bulk("commands") + bulk(commands) + bulk("keys") + bulk(keys) + bulk("channels") +
                  bulk(channels) + bulk("selectors") + "*" + std::to_string(selectors.size()) +
                  "\r\n";
  for (const auto& s : selectors) r += s;
  return r;
}

// A parsed RESP2/RESP3 reply: a leaf's text, or the items of an aggregate.
struct Node {
  char type = 0;
  std::string text;
  std::vector<Node> items;
};

Node parse_at(const std::string& r, size_t& at) {
  Node n;
  n.type = r[at];
  const size_t crlf = r.find("\r\n", at);
  const std::string head = r.substr(at + 1, crlf - at - 1);
  at = crlf + 2;
  if (n.type == '$') {
    const long long len = std::stoll(head);
    if (len >= 0) {
      n.text = r.substr(at, static_cast<size_t>(len));
      at += static_cast<size_t>(len) + 2;
    }
  } else if (n.type == '*' || n.type == '%' || n.type == '~') {
    long long count = std::stoll(head);
    if (n.type == '%') count *= 2;
    for (long long i = 0; i < count; ++i) n.items.push_back(parse_at(r, at));
  } else {
    n.text = head;
  }
  return n;
}

Node parse(const std::string& r) {
  size_t at = 0;
  Node n = parse_at(r, at);
  EXPECT_EQ(at, r.size()) << "trailing bytes in " << r;
  return n;
}

// The texts of a flat array reply (ACL LIST, ACL CAT, ACL USERS).
std::vector<std::string> texts(const std::string& reply) {
  std::vector<std::string> out;
  for (const auto& n : parse(reply).items) out.push_back(n.text);
  return out;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// One ACL LOG entry as field -> text.
std::map<std::string, std::string> fields(const Node& entry) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i + 1 < entry.items.size(); i += 2)
    out[entry.items[i].text] = entry.items[i + 1].text;
  return out;
}

std::vector<std::map<std::string, std::string>> acl_log(EngineHarness& h) {
  std::vector<std::map<std::string, std::string>> out;
  for (const auto& e : parse(h.run({"ACL", "LOG"})).items) out.push_back(fields(e));
  return out;
}

// ACL LIST's line for one user ("" when there is none).
std::string list_line(EngineHarness& h, std::string_view name) {
  const std::string prefix = "user " + std::string(name) + " ";
  for (const auto& line : texts(h.run({"ACL", "LIST"})))
    if (line.rfind(prefix, 0) == 0) return line;
  return "";
}

// The harness's client runs as `name` from now on (as after AUTH).
void become(EngineHarness& h, std::string_view name) {
  engine::AclUser* u = h.engine().acl().find(name);
  ASSERT_NE(u, nullptr) << name;
  h.client().user = u;
  h.client().authenticated = true;
}

void become_default(EngineHarness& h) {
  h.client().user = &h.engine().acl().default_user();
  h.client().authenticated = true;
}

// A fake connection: counts the closes the engine asks for.
class FakeConn : public engine::ConnectionView {
 public:
  std::string peer_address() const override { return "127.0.0.1:50000"; }
  std::string local_address() const override { return "127.0.0.1:6379"; }
  int fd() const override { return 9; }
  size_t query_buffer_used() const override { return 0; }
  size_t query_buffer_free() const override { return 0; }
  size_t output_pending() const override { return 0; }
  size_t output_allocated() const override { return 0; }
  bool is_unix_socket() const override { return false; }
  void close_soon() override { ++closed; }
  void drop_soon() override { ++dropped; }
  void schedule_flush() override {}
  void resume() override {}
  int closed = 0;
  int dropped = 0;
};

// A second connected client with a reply buffer of its own.
struct OtherClient {
  explicit OtherClient(EngineHarness& h) : engine(h.engine()), writer(out) {
    c.id = engine.next_client_id();
    c.conn = &conn;
    c.writer = &writer;
    engine.add_client(&c);
  }
  ~OtherClient() { engine.remove_client(&c); }
  std::string run(std::vector<std::string_view> args) {
    out.clear();
    writer.set_resp(c.resp);
    engine.execute(c, engine::Args(args.data(), args.size()), writer);
    return out.to_string();
  }
  engine::Engine& engine;
  FakeConn conn;
  engine::Client c;
  protocol::OutputBuffer out;
  protocol::ReplyWriter writer;
};

// AUTH on a fresh connection: the harness's own client keeps its user.
std::string auth(EngineHarness& h, std::string_view user, std::string_view pass) {
  OtherClient c(h);
  return c.run({"AUTH", user, pass});
}

// "... script: <sha>, on @user_script:1." as Redis suffixes script errors.
std::string script_error(std::string_view message, std::string_view body) {
  return error("ERR " + std::string(message) + " script: " + sha1_hex(body) +
               ", on @user_script:1.");
}

}  // namespace

// --- The rules of ACL SETUSER, and what GETUSER and LIST say of them -------

TEST(AclRules, NewUserIsOffWithNoRights) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ACL", "SETUSER", "a"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "a"}), user_reply({"off"}, {}, "-@all", "", ""));
  EXPECT_EQ(h.run({"ACL", "LIST"}),
            bulks({"user a off resetchannels -@all", "user default on nopass ~* &* +@all"}));
  EXPECT_EQ(h.run({"ACL", "USERS"}), bulks({"a", "default"}));
  EXPECT_EQ(h.run({"ACL", "GETUSER", "nosuch"}), kNil);
  h.client().resp = 3;
  EXPECT_EQ(h.run({"ACL", "GETUSER", "nosuch"}), "_\r\n");
}

TEST(AclRules, OnAndOff) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ACL", "SETUSER", "a", "on"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "a"}), user_reply({"on"}, {}, "-@all", "", ""));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "a", "off"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "a"}), user_reply({"off"}, {}, "-@all", "", ""));
  // Rules are case-insensitive words.
  EXPECT_EQ(h.run({"ACL", "SETUSER", "a", "ON"}), kOk);
  EXPECT_EQ(list_line(h, "a"), "user a on resetchannels -@all");
}

TEST(AclRules, PasswordsAddAndRemove) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ACL", "SETUSER", "a", "on", ">pw1", ">pw2"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "a"}),
            user_reply({"on"}, {kHashPw1, kHashPw2}, "-@all", "", ""));
  EXPECT_EQ(auth(h, "a", "pw1"), kOk);
  EXPECT_EQ(auth(h, "a", "pw2"), kOk);
  EXPECT_EQ(h.run({"ACL", "SETUSER", "a", "<pw1"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "a"}), user_reply({"on"}, {kHashPw2}, "-@all", "", ""));
  EXPECT_EQ(auth(h, "a", "pw1"), kWrongPass);
  EXPECT_EQ(auth(h, "a", "pw2"), kOk);
  // Adding the same password twice keeps one hash.
  EXPECT_EQ(h.run({"ACL", "SETUSER", "a", ">pw2"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "a"}), user_reply({"on"}, {kHashPw2}, "-@all", "", ""));

  // #<hash> adds a hash as it is; !<hash> removes one.
  EXPECT_EQ(h.run({"ACL", "SETUSER", "a", std::string("#") + kHashSecret}), kOk);
  EXPECT_EQ(auth(h, "a", "secret"), kOk);
  EXPECT_EQ(h.run({"ACL", "SETUSER", "a", std::string("#") + kZeroHash}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "a"}),
            user_reply({"on"}, {kHashPw2, kHashSecret, kZeroHash}, "-@all", "", ""));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "a", std::string("!") + kHashSecret}), kOk);
  EXPECT_EQ(auth(h, "a", "secret"), kWrongPass);
  EXPECT_EQ(list_line(h, "a"),
            std::string("user a on #") + kHashPw2 + " #" + kZeroHash + " resetchannels -@all");
}

TEST(AclRules, PasswordErrors) {
  EngineHarness h;
  h.run({"ACL", "SETUSER", "a", ">pw1"});
  const char* missing = "The password you are trying to remove from the user does not exist";
  EXPECT_EQ(h.run({"ACL", "SETUSER", "a", "<nope"}), setuser_error("<nope", missing));
  const std::string bang_zero = std::string("!") + kZeroHash;
  EXPECT_EQ(h.run({"ACL", "SETUSER", "a", bang_zero}), setuser_error(bang_zero, missing));
  const char* bad_hash =
      "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
      "characters";
  for (std::string op : {std::string("#abc"), std::string("!abc"),
                         "#" + std::string(kZeroHash).substr(1) + "G",  // not hex
                         "#" + std::string(kZeroHash).substr(1) + "A",  // upper case
                         "#" + std::string(kZeroHash) + "0"}) {         // 65 characters
    EXPECT_EQ(h.run({"ACL", "SETUSER", "a", op}), setuser_error(op, bad_hash)) << op;
  }
  EXPECT_EQ(h.run({"ACL", "GETUSER", "a"}), user_reply({"off"}, {kHashPw1}, "-@all", "", ""));
}

TEST(AclRules, NopassAndResetpass) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ACL", "SETUSER", "a", "on", ">x", "nopass"}), kOk);
  // nopass forgets the passwords and accepts any.
  EXPECT_EQ(h.run({"ACL", "GETUSER", "a"}), user_reply({"on", "nopass"}, {}, "-@all", "", ""));
  EXPECT_EQ(auth(h, "a", "whatever"), kOk);
  // A password after nopass ends nopass.
  EXPECT_EQ(h.run({"ACL", "SETUSER", "a", ">y"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "a"}), user_reply({"on"}, {kHashY}, "-@all", "", ""));
  EXPECT_EQ(auth(h, "a", "whatever"), kWrongPass);
  EXPECT_EQ(h.run({"ACL", "SETUSER", "a", ">x", "resetpass"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "a"}), user_reply({"on"}, {}, "-@all", "", ""));
  // No password and no nopass: nobody can log in as it.
  EXPECT_EQ(auth(h, "a", ""), kWrongPass);
  EXPECT_EQ(auth(h, "a", "x"), kWrongPass);
  EXPECT_EQ(h.run({"ACL", "SETUSER", "a", "nopass", ">x"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "a"}), user_reply({"on"}, {kHashX}, "-@all", "", ""));
}

TEST(AclRules, KeyPatterns) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ACL", "SETUSER", "b", "~foo:*", "~bar"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "b"}), user_reply({"off"}, {}, "-@all", "~foo:* ~bar", ""));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "b", "%R~r:*", "%W~w:*", "%RW~rw:*"}), kOk);
  // %RW~ is ~ (read and write).
  EXPECT_EQ(h.run({"ACL", "GETUSER", "b"}),
            user_reply({"off"}, {}, "-@all", "~foo:* ~bar %R~r:* %W~w:* ~rw:*", ""));
  // The same pattern for reading, then writing, becomes one ~ pattern.
  EXPECT_EQ(h.run({"ACL", "SETUSER", "b", "%R~both", "%W~both"}), kOk);
  // "%R" alone is the empty pattern, readable.
  EXPECT_EQ(h.run({"ACL", "SETUSER", "b", "%R"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "b"}),
            user_reply({"off"}, {}, "-@all", "~foo:* ~bar %R~r:* %W~w:* ~rw:* ~both %R~", ""));
  EXPECT_EQ(list_line(h, "b"),
            "user b off ~foo:* ~bar %R~r:* %W~w:* ~rw:* ~both %R~ resetchannels -@all");
  EXPECT_EQ(h.run({"ACL", "SETUSER", "b", "allkeys"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "b"}), user_reply({"off"}, {}, "-@all", "~*", ""));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "b", "resetkeys", "~y"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "b"}), user_reply({"off"}, {}, "-@all", "~y", ""));
  // ~* is allkeys.
  EXPECT_EQ(h.run({"ACL", "SETUSER", "b", "~*"}), kOk);
  EXPECT_EQ(list_line(h, "b"), "user b off ~* resetchannels -@all");
  EXPECT_EQ(h.run({"ACL", "SETUSER", "b", "resetkeys"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "b"}), user_reply({"off"}, {}, "-@all", "", ""));
}

TEST(AclRules, KeyPatternErrors) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ACL", "SETUSER", "b", "%X~a"}), setuser_error("%X~a", "Syntax error"));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "b", "%RR~a"}), setuser_error("%RR~a", "Syntax error"));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "b", "allkeys"}), kOk);
  const char* after_all =
      "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
      "have any effect. Try 'resetkeys' to start with an empty list of patterns";
  EXPECT_EQ(h.run({"ACL", "SETUSER", "b", "~x"}), setuser_error("~x", after_all));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "b", "%R~x"}), setuser_error("%R~x", after_all));
  EXPECT_EQ(h.run({"ACL", "GETUSER", "b"}), user_reply({"off"}, {}, "-@all", "~*", ""));
}

TEST(AclRules, ChannelPatterns) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ACL", "SETUSER", "c", "&chan", "&news.*"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "c"}), user_reply({"off"}, {}, "-@all", "", "&chan &news.*"));
  EXPECT_EQ(list_line(h, "c"), "user c off resetchannels &chan &news.* -@all");
  EXPECT_EQ(h.run({"ACL", "SETUSER", "c", "allchannels"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "c"}), user_reply({"off"}, {}, "-@all", "", "&*"));
  EXPECT_EQ(list_line(h, "c"), "user c off &* -@all");
  EXPECT_EQ(
      h.run({"ACL", "SETUSER", "c", "&x"}),
      setuser_error("&x",
                    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not "
                    "valid and does not have any effect. Try 'resetchannels' to start with an "
                    "empty list of channels"));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "c", "resetchannels", "&y"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "c"}), user_reply({"off"}, {}, "-@all", "", "&y"));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "c", "&*"}), kOk);  // &* is allchannels
  EXPECT_EQ(h.run({"ACL", "GETUSER", "c"}), user_reply({"off"}, {}, "-@all", "", "&*"));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "c", "resetchannels"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "c"}), user_reply({"off"}, {}, "-@all", "", ""));
}

TEST(AclRules, AclPubsubDefaultGivesNewUsersAllChannels) {
  EngineHarness h;
  EXPECT_EQ(h.run({"CONFIG", "SET", "acl-pubsub-default", "allchannels"}), kOk);
  EXPECT_EQ(h.run({"ACL", "SETUSER", "p"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "p"}), user_reply({"off"}, {}, "-@all", "", "&*"));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "p", "resetchannels", "reset"}), kOk);
  EXPECT_EQ(list_line(h, "p"), "user p off sanitize-payload &* -@all");
  EXPECT_EQ(h.run({"CONFIG", "SET", "acl-pubsub-default", "resetchannels"}), kOk);
  EXPECT_EQ(h.run({"ACL", "SETUSER", "q"}), kOk);
  EXPECT_EQ(list_line(h, "q"), "user q off resetchannels -@all");
}

TEST(AclRules, CommandRules) {
  EngineHarness h;
  // Each case is one user built from scratch; only descriptions that do
  // not depend on the order of Redis's command table are compared.
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"+get"}, "-@all +get"},
      {{"+get", "+set", "-get"}, "-@all +set"},
      {{"+config|get"}, "-@all +config|get"},
      {{"+select|0"}, "-@all +select|0"},
      {{"+select|0", "+select|1"}, "-@all +select|0 +select|1"},
      {{"+@read"}, "-@all +@read"},
      {{"+@read", "-@read"}, "-@all"},
      {{"allcommands"}, "+@all"},
      {{"+@all"}, "+@all"},
      {{"allcommands", "-debug"}, "+@all -debug"},
      {{"+@all", "-@dangerous"}, "+@all -@dangerous"},
      {{"-@all", "+@string"}, "-@all +@string"},
      {{"+@all", "nocommands"}, "-@all"},
      {{"+@all", "-@all"}, "-@all"},
      // Allowing the whole command drops the first arguments allowed.
      {{"+select|0", "+select"}, "-@all +select"},
      // A container command covers its subcommands.
      {{"+config"}, "-@all +config"},
      {{"+config", "-config|set"}, "-@all +config -config|set"},
  };
  int n = 0;
  for (const auto& [rules, commands] : cases) {
    const std::string name = "u" + std::to_string(n++);
    std::vector<std::string> args = {"ACL", "SETUSER", name};
    args.insert(args.end(), rules.begin(), rules.end());
    EXPECT_EQ(h.run(args), kOk) << commands;
    EXPECT_EQ(h.run({"ACL", "GETUSER", name}), user_reply({"off"}, {}, commands, "", ""))
        << rules[0] << " ... -> " << commands;
    EXPECT_EQ(list_line(h, name), "user " + name + " off resetchannels " + commands);
  }
}

TEST(AclRules, CommandRuleErrors) {
  EngineHarness h;
  const char* unknown = "Unknown command or category name in ACL";
  for (const char* op :
       {"+nosuchcmd", "-nosuchcmd", "+@nosuchcat", "-@nosuchcat", "+config|nosuch", "-select|0"}) {
    EXPECT_EQ(h.run({"ACL", "SETUSER", "d", op}), setuser_error(op, unknown)) << op;
  }
  EXPECT_EQ(h.run({"ACL", "SETUSER", "d", "+config|get|x"}),
            setuser_error("+config|get|x", "Allowing first-arg of a subcommand is not supported"));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "d", "+select|"}), setuser_error("+select|", "Syntax error"));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "d", "bogus"}), setuser_error("bogus", "Syntax error"));
  // None of it created the user.
  EXPECT_EQ(h.run({"ACL", "GETUSER", "d"}), kNil);
}

TEST(AclRules, SetuserIsAllOrNothing) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ACL", "SETUSER", "at", "on", "~a"}), kOk);
  EXPECT_EQ(h.run({"ACL", "SETUSER", "at", "off", "~b", "bogus"}),
            setuser_error("bogus", "Syntax error"));
  EXPECT_EQ(h.run({"ACL", "GETUSER", "at"}), user_reply({"on"}, {}, "-@all", "~a", ""));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "newu", "on", "bogus"}),
            setuser_error("bogus", "Syntax error"));
  EXPECT_EQ(h.run({"ACL", "GETUSER", "newu"}), kNil);
}

TEST(AclRules, ResetAndSanitizePayload) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ACL", "SETUSER", "d", "on", ">x", "~k", "&c", "+@all", "(+get ~j)"}), kOk);
  EXPECT_EQ(h.run({"ACL", "SETUSER", "d", "reset"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "d"}),
            user_reply({"off", "sanitize-payload"}, {}, "-@all", "", ""));
  EXPECT_EQ(list_line(h, "d"), "user d off sanitize-payload resetchannels -@all");
  EXPECT_EQ(h.run({"ACL", "SETUSER", "f", "skip-sanitize-payload"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "f"}),
            user_reply({"off", "skip-sanitize-payload"}, {}, "-@all", "", ""));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "f", "sanitize-payload"}), kOk);
  EXPECT_EQ(list_line(h, "f"), "user f off sanitize-payload resetchannels -@all");
}

TEST(AclRules, Selectors) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ACL", "SETUSER", "e", "on", "nopass", "~a*", "(~b*", "+get)", "(+set ~c*)"}),
            kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "e"}),
            user_reply({"on", "nopass"}, {}, "-@all", "~a*", "",
                       {selector("-@all +get", "~b*", ""), selector("-@all +set", "~c*", "")}));
  EXPECT_EQ(list_line(h, "e"),
            "user e on nopass ~a* resetchannels -@all (~b* resetchannels -@all +get) (~c* "
            "resetchannels -@all +set)");
  h.client().resp = 3;
  EXPECT_EQ(h.run({"ACL", "GETUSER", "e"}),
            "%6\r\n" + bulk("flags") + "~2\r\n" + bulk("on") + bulk("nopass") + bulk("passwords") +
                "*0\r\n" + bulk("commands") + bulk("-@all") + bulk("keys") + bulk("~a*") +
                bulk("channels") + bulk("") + bulk("selectors") + "*2\r\n%3\r\n" +
                bulk("commands") + bulk("-@all +get") + bulk("keys") + bulk("~b*") +
                bulk("channels") + bulk("") + "%3\r\n" + bulk("commands") + bulk("-@all +set") +
                bulk("keys") + bulk("~c*") + bulk("channels") + bulk(""));
  h.client().resp = 2;
  EXPECT_EQ(h.run({"ACL", "SETUSER", "e", "clearselectors"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "e"}), user_reply({"on", "nopass"}, {}, "-@all", "~a*", ""));
  // An empty selector allows nothing.
  EXPECT_EQ(h.run({"ACL", "SETUSER", "e", "()"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "e"}),
            user_reply({"on", "nopass"}, {}, "-@all", "~a*", "", {selector("-@all", "", "")}));
  EXPECT_EQ(list_line(h, "e"), "user e on nopass ~a* resetchannels -@all (resetchannels -@all)");
}

TEST(AclRules, SelectorErrors) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ACL", "SETUSER", "e", "on", "(~x"}),
            error("ERR Unmatched parenthesis in acl selector starting at '(~x'."));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "e", "on", "(~x", "+get"}),
            error("ERR Unmatched parenthesis in acl selector starting at '(~x'."));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "e", "(~x +nope)"}),
            setuser_error("(~x +nope)", "Unknown command or category name in ACL"));
  // User flags and passwords are not selector rules.
  EXPECT_EQ(h.run({"ACL", "SETUSER", "e", "(on)"}), setuser_error("(on)", "Syntax error"));
  EXPECT_EQ(h.run({"ACL", "SETUSER", "e", "(>pw)"}), setuser_error("(>pw)", "Syntax error"));
  EXPECT_EQ(h.run({"ACL", "GETUSER", "e"}), kNil);
}

TEST(AclRules, UsernamesAndDeluser) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ACL", "SETUSER", "a b", "on"}),
            error("ERR Usernames can't contain spaces or null characters"));
  EXPECT_EQ(h.run({"ACL", "SETUSER", std::string("a\0b", 3), "on"}),
            error("ERR Usernames can't contain spaces or null characters"));
  for (const char* u : {"a", "b", "c"}) h.run({"ACL", "SETUSER", u});
  EXPECT_EQ(h.run({"ACL", "DELUSER", "default"}),
            error("ERR The 'default' user cannot be removed"));
  EXPECT_EQ(h.run({"ACL", "DELUSER", "a", "default"}),
            error("ERR The 'default' user cannot be removed"));
  EXPECT_EQ(h.run({"ACL", "USERS"}), bulks({"a", "b", "c", "default"}));  // nothing deleted
  EXPECT_EQ(h.run({"ACL", "DELUSER", "a", "b", "nosuch"}), integer(2));
  EXPECT_EQ(h.run({"ACL", "USERS"}), bulks({"c", "default"}));
  EXPECT_EQ(h.run({"ACL", "DELUSER", "a"}), integer(0));
}

TEST(AclCommand, SubcommandErrorsAndMisc) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ACL"}), error("ERR wrong number of arguments for 'acl' command"));
  EXPECT_EQ(h.run({"ACL", "foo"}), error("ERR unknown subcommand 'foo'. Try ACL HELP."));
  EXPECT_EQ(h.run({"ACL", "SETUSER"}),
            error("ERR wrong number of arguments for 'acl|setuser' command"));
  EXPECT_EQ(h.run({"ACL", "GETUSER", "a", "b"}),
            error("ERR wrong number of arguments for 'acl|getuser' command"));
  EXPECT_EQ(h.run({"ACL", "LIST", "x"}),
            error("ERR wrong number of arguments for 'acl|list' command"));
  EXPECT_EQ(h.run({"ACL", "LOG", "1", "2"}),
            error("ERR unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP."));
  EXPECT_EQ(h.run({"ACL", "LOG", "x"}), error("ERR value is not an integer or out of range"));
  EXPECT_EQ(h.run({"ACL", "WHOAMI"}), bulk("default"));
  const std::string genpass_range =
      "ERR ACL GENPASS argument must be the number of bits for the output password, a positive "
      "number up to 4096";
  EXPECT_EQ(h.run({"ACL", "GENPASS", "0"}), error(genpass_range));
  EXPECT_EQ(h.run({"ACL", "GENPASS", "4097"}), error(genpass_range));
  EXPECT_EQ(h.run({"ACL", "GENPASS", "x"}), error("ERR value is not an integer or out of range"));
  // 256 bits by default: 64 hex digits; 5 bits round up to 2 digits.
  std::string pass = parse(h.run({"ACL", "GENPASS"})).text;
  EXPECT_EQ(pass.size(), 64u);
  EXPECT_EQ(pass.find_first_not_of("0123456789abcdef"), std::string::npos) << pass;
  EXPECT_NE(parse(h.run({"ACL", "GENPASS"})).text, pass);
  EXPECT_EQ(parse(h.run({"ACL", "GENPASS", "5"})).text.size(), 2u);
  // No aclfile configured.
  const std::string no_file =
      "ERR This Redis instance is not configured to use an ACL file. You may want to specify "
      "users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a "
      "Redis configuration file set) in order to store users in the Redis configuration.";
  EXPECT_EQ(h.run({"ACL", "LOAD"}), error(no_file));
  EXPECT_EQ(h.run({"ACL", "SAVE"}), error(no_file));
}

// --- ACL DRYRUN ---------------------------------------------------------------

TEST(AclDryrun, CommandsKeysAndChannels) {
  EngineHarness h;
  ASSERT_EQ(
      h.run({"ACL", "SETUSER", "r", "on", ">pw", "~r:*", "%R~ro:*", "%W~wo:*", "&ch:*", "+@read",
             "+@write", "+subscribe", "+publish", "+psubscribe", "+select|0", "+client|id"}),
      kOk);
  auto dry = [&](std::vector<std::string_view> cmdline) {
    std::vector<std::string_view> args = {"ACL", "DRYRUN", "r"};
    args.insert(args.end(), cmdline.begin(), cmdline.end());
    return h.run(args);
  };
  auto key = [](std::string_view k) {
    return bulk("This user has no permissions to access the '" + std::string(k) + "' key");
  };
  auto channel = [](std::string_view c) {
    return bulk("This user has no permissions to access the '" + std::string(c) + "' channel");
  };
  auto command = [](std::string_view c) {
    return bulk("This user has no permissions to run the '" + std::string(c) + "' command");
  };
  EXPECT_EQ(dry({"get", "r:1"}), kOk);
  EXPECT_EQ(dry({"get", "x"}), key("x"));
  // %R~ allows reading only, %W~ writing only.
  EXPECT_EQ(dry({"get", "ro:1"}), kOk);
  EXPECT_EQ(dry({"set", "ro:1", "v"}), key("ro:1"));
  EXPECT_EQ(dry({"get", "wo:1"}), key("wo:1"));
  EXPECT_EQ(dry({"set", "wo:1", "v"}), kOk);
  // LMOVE reads and writes its source; COPY only reads it.
  EXPECT_EQ(dry({"lmove", "ro:1", "wo:1", "left", "right"}), key("ro:1"));
  EXPECT_EQ(dry({"lmove", "wo:1", "ro:1", "left", "right"}), key("wo:1"));
  EXPECT_EQ(dry({"copy", "ro:1", "wo:1"}), kOk);
  EXPECT_EQ(dry({"mget", "r:1", "x", "r:2"}), key("x"));
  EXPECT_EQ(dry({"mset", "r:1", "a", "ro:2", "b"}), key("ro:2"));
  // Keyless commands of an allowed category.
  EXPECT_EQ(dry({"flushall"}), kOk);
  EXPECT_EQ(dry({"publish", "ch:1", "m"}), kOk);
  EXPECT_EQ(dry({"publish", "other", "m"}), channel("other"));
  EXPECT_EQ(dry({"subscribe", "ch:1", "other"}), channel("other"));
  // A pattern subscription must be allowed as written.
  EXPECT_EQ(dry({"psubscribe", "ch:*"}), kOk);
  EXPECT_EQ(dry({"psubscribe", "ch:1*"}), channel("ch:1*"));
  EXPECT_EQ(dry({"psubscribe", "*"}), channel("*"));
  // First arguments and subcommands.
  EXPECT_EQ(dry({"select", "0"}), kOk);
  EXPECT_EQ(dry({"select", "1"}), command("select"));
  EXPECT_EQ(dry({"client", "id"}), kOk);
  EXPECT_EQ(dry({"client", "list"}), command("client|list"));
  EXPECT_EQ(dry({"config", "get", "maxmemory"}), command("config|get"));
}

TEST(AclDryrun, Selectors) {
  EngineHarness h;
  ASSERT_EQ(h.run({"ACL", "SETUSER", "s", "on", "nopass", "~a*", "+get", "(~b* +set)",
                   "(~c* +get +set)"}),
            kOk);
  auto dry = [&](std::string_view cmd, std::string_view k) {
    if (cmd == "set") return h.run({"ACL", "DRYRUN", "s", cmd, k, "v"});
    return h.run({"ACL", "DRYRUN", "s", cmd, k});
  };
  auto key = [](std::string_view k) {
    return bulk("This user has no permissions to access the '" + std::string(k) + "' key");
  };
  EXPECT_EQ(dry("get", "a1"), kOk);
  EXPECT_EQ(dry("get", "b1"), key("b1"));
  EXPECT_EQ(dry("set", "b1"), kOk);
  EXPECT_EQ(dry("set", "a1"), key("a1"));
  EXPECT_EQ(dry("get", "c1"), kOk);
  EXPECT_EQ(dry("set", "c1"), kOk);
  EXPECT_EQ(dry("get", "z"), key("z"));
  EXPECT_EQ(dry("set", "z"), key("z"));
  // No selector allows the command: the command is named.
  EXPECT_EQ(dry("del", "a1"), bulk("This user has no permissions to run the 'del' command"));
}

TEST(AclDryrun, Errors) {
  EngineHarness h;
  h.run({"ACL", "SETUSER", "r", "on", "+@all", "~*"});
  EXPECT_EQ(h.run({"ACL", "DRYRUN", "nobody", "get", "x"}), error("ERR User 'nobody' not found"));
  EXPECT_EQ(h.run({"ACL", "DRYRUN", "r", "nosuchcmd"}), error("ERR Command 'nosuchcmd' not found"));
  EXPECT_EQ(h.run({"ACL", "DRYRUN", "r", "get"}),
            error("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(h.run({"ACL", "DRYRUN", "r"}),
            error("ERR wrong number of arguments for 'acl|dryrun' command"));
  EXPECT_EQ(h.run({"ACL", "DRYRUN", "r", "get", "x"}), kOk);
}

// --- Categories ---------------------------------------------------------------

TEST(AclCategories, ListAndErrors) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ACL", "CAT"}),
            bulks({"keyspace",   "read",        "write",    "set",         "sortedset", "list",
                   "hash",       "string",      "bitmap",   "hyperloglog", "geo",       "stream",
                   "pubsub",     "admin",       "fast",     "slow",        "blocking",  "dangerous",
                   "connection", "transaction", "scripting"}));
  EXPECT_EQ(h.run({"ACL", "CAT", "nosuch"}), error("ERR Unknown category 'nosuch'"));
  // The subcommand is named as it was typed.
  EXPECT_EQ(h.run({"ACL", "cat", "read", "x"}),
            error("ERR unknown subcommand or wrong number of arguments for 'cat'. Try ACL HELP."));
  // Category names are case-insensitive.
  EXPECT_EQ(h.run({"ACL", "CAT", "READ"}), h.run({"ACL", "CAT", "read"}));
}

TEST(AclCategories, DerivedFromDeclarations) {
  EngineHarness h;
  auto cat = [&](const char* c) { return texts(h.run({"ACL", "CAT", c})); };
  const auto read = cat("read"), write = cat("write"), dangerous = cat("dangerous");
  const auto fast = cat("fast"), slow = cat("slow"), admin = cat("admin");
  // readonly -> @read, write -> @write.
  EXPECT_TRUE(contains(read, "get"));
  EXPECT_TRUE(contains(read, "zrange"));
  EXPECT_FALSE(contains(read, "set"));
  EXPECT_TRUE(contains(write, "set"));
  EXPECT_TRUE(contains(write, "del"));
  EXPECT_FALSE(contains(write, "get"));
  // Read-only scripts are not @read.
  EXPECT_FALSE(contains(read, "eval_ro"));
  EXPECT_TRUE(contains(cat("scripting"), "eval_ro"));
  // admin -> @admin and @dangerous; some are @dangerous without admin.
  EXPECT_TRUE(contains(admin, "config|set"));
  EXPECT_TRUE(contains(dangerous, "config|set"));
  EXPECT_TRUE(contains(dangerous, "flushall"));
  EXPECT_TRUE(contains(dangerous, "keys"));
  EXPECT_FALSE(contains(admin, "keys"));
  EXPECT_FALSE(contains(dangerous, "get"));
  // fast, or else slow; never both.
  EXPECT_TRUE(contains(fast, "get"));
  EXPECT_FALSE(contains(slow, "get"));
  EXPECT_TRUE(contains(slow, "keys"));
  EXPECT_FALSE(contains(fast, "keys"));
  for (const auto& c : fast) EXPECT_FALSE(contains(slow, c)) << c;
  // The family's data category, and flags such as blocking and pubsub.
  EXPECT_TRUE(contains(cat("string"), "append"));
  EXPECT_FALSE(contains(cat("string"), "lpush"));
  EXPECT_TRUE(contains(cat("keyspace"), "del"));
  EXPECT_TRUE(contains(cat("blocking"), "blpop"));
  EXPECT_FALSE(contains(cat("blocking"), "lpop"));
  EXPECT_TRUE(contains(cat("connection"), "auth"));
  EXPECT_TRUE(contains(cat("transaction"), "multi"));
  const auto pubsub = cat("pubsub");
  EXPECT_TRUE(contains(pubsub, "publish"));
  EXPECT_TRUE(contains(pubsub, "pubsub|channels"));
  // PUBSUB HELP has no pubsub flag: only @slow, as in Redis.
  EXPECT_FALSE(contains(pubsub, "pubsub|help"));
  EXPECT_TRUE(contains(slow, "pubsub|help"));
  // Containers are not listed, their subcommands are.
  EXPECT_FALSE(contains(admin, "config"));
  // +@category allows exactly the category's commands.
  h.run({"ACL", "SETUSER", "w", "on", "+@write", "~*"});
  EXPECT_EQ(h.run({"ACL", "DRYRUN", "w", "set", "k", "v"}), kOk);
  EXPECT_EQ(h.run({"ACL", "DRYRUN", "w", "get", "k"}),
            bulk("This user has no permissions to run the 'get' command"));
}

// --- NOPERM for a restricted user ---------------------------------------------

TEST(AclNoperm, RefusalsAtTopLevel) {
  EngineHarness h;
  ASSERT_EQ(h.run({"ACL", "SETUSER", "r", "on", ">pw", "~r:*", "%R~ro:*", "&ch:*", "+@read",
                   "+@write", "+subscribe", "+publish", "+psubscribe", "+select|0"}),
            kOk);
  become(h, "r");
  EXPECT_EQ(h.run({"GET", "r:1"}), kNil);
  EXPECT_EQ(h.run({"GET", "x"}), kNoPermKeys);
  EXPECT_EQ(h.run({"SET", "ro:1", "v"}), kNoPermKeys);
  EXPECT_EQ(h.run({"SET", "r:1", "v"}), kOk);
  EXPECT_EQ(h.run({"CONFIG", "GET", "maxmemory"}), noperm_command("config|get"));
  EXPECT_EQ(h.run({"CLIENT", "LIST"}), noperm_command("client|list"));
  EXPECT_EQ(h.run({"ACL", "WHOAMI"}), noperm_command("acl|whoami"));
  EXPECT_EQ(h.run({"SELECT", "1"}), noperm_command("select"));
  EXPECT_EQ(h.run({"SELECT", "0"}), kOk);
  EXPECT_EQ(h.run({"PUBLISH", "other", "m"}), kNoPermChannels);
  EXPECT_EQ(h.run({"PUBLISH", "ch:1", "m"}), integer(0));
  EXPECT_EQ(h.run({"PSUBSCRIBE", "ch:1*"}), kNoPermChannels);
  // Refused commands count as rejected calls and as NOPERM errors.
  EXPECT_EQ(h.engine().stats().error_codes["NOPERM"], 8u);
  // Commands that need no authentication need no permission either.
  EXPECT_EQ(h.run({"AUTH", "r", "pw"}), kOk);
  // Nothing was written by the refused commands.
  become_default(h);
  EXPECT_EQ(h.run({"EXISTS", "ro:1"}), integer(0));
  EXPECT_EQ(h.run({"GET", "r:1"}), bulk("v"));
}

TEST(AclNoperm, InsideMulti) {
  EngineHarness h;
  ASSERT_EQ(h.run({"ACL", "SETUSER", "r", "on", "nopass", "~r:*", "+@all"}), kOk);
  become(h, "r");
  EXPECT_EQ(h.run({"MULTI"}), kOk);
  // Refused while queueing: the transaction is aborted.
  EXPECT_EQ(h.run({"GET", "x"}), kNoPermKeys);
  EXPECT_EQ(h.run({"SET", "r:1", "v"}), simple("QUEUED"));
  EXPECT_EQ(h.run({"EXEC"}), error("EXECABORT Transaction discarded because of previous errors."));
  EXPECT_EQ(h.run({"EXISTS", "r:1"}), integer(0));

  // Rules changed between queueing and EXEC: each command refused then.
  EXPECT_EQ(h.run({"MULTI"}), kOk);
  EXPECT_EQ(h.run({"SET", "r:1", "v"}), simple("QUEUED"));
  EXPECT_EQ(h.run({"PING"}), simple("QUEUED"));
  EXPECT_EQ(h.run({"ECHO", "e"}), simple("QUEUED"));
  OtherClient admin(h);
  ASSERT_EQ(admin.run({"ACL", "SETUSER", "r", "resetkeys", "-echo"}), kOk);
  const std::string changed =
      "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC "
      "call. This command is no longer allowed for the following reason: ";
  EXPECT_EQ(h.run({"EXEC"}), "*3\r\n" +
                                 error(changed + "no permission to touch the specified keys") +
                                 simple("PONG") +
                                 error(changed + "no permission to execute the command or "
                                                 "subcommand"));
  EXPECT_EQ(admin.run({"EXISTS", "r:1"}), integer(0));
}

TEST(AclNoperm, ChannelRulesChangedBeforeExec) {
  EngineHarness h;
  ASSERT_EQ(h.run({"ACL", "SETUSER", "m", "on", "nopass", "~*", "&c:*", "+@all"}), kOk);
  become(h, "m");
  EXPECT_EQ(h.run({"MULTI"}), kOk);
  EXPECT_EQ(h.run({"PUBLISH", "c:1", "x"}), simple("QUEUED"));
  OtherClient admin(h);
  ASSERT_EQ(admin.run({"ACL", "SETUSER", "m", "resetchannels"}), kOk);
  EXPECT_EQ(h.run({"EXEC"}),
            "*1\r\n" + error("NOPERM ACLs rules changed between the moment the transaction was "
                             "accumulated and the EXEC call. This command is no longer allowed "
                             "for the following reason: no permission to access one of the "
                             "channels used as arguments"));
}

TEST(AclNoperm, InsideScripts) {
  EngineHarness h;
  ASSERT_EQ(h.run({"ACL", "SETUSER", "r", "on", "nopass", "~r:*", "&ch:*", "+@read", "+@write",
                   "+publish", "+eval"}),
            kOk);
  become(h, "r");
  const std::string get_x = "return redis.call('get','x')";
  EXPECT_EQ(h.run({"EVAL", get_x, "0"}),
            script_error("The user executing the script can't access at least one of the keys "
                         "mentioned in the command arguments",
                         get_x));
  const std::string publish = "return redis.call('publish','other','m')";
  EXPECT_EQ(h.run({"EVAL", publish, "0"}),
            script_error("The user executing the script can't publish to the channel mentioned "
                         "in the command",
                         publish));
  const std::string ping = "return redis.call('ping')";
  EXPECT_EQ(
      h.run({"EVAL", ping, "0"}),
      script_error("The user executing the script can't run this command or subcommand", ping));
  // EVAL's own KEYS are checked before the script runs.
  EXPECT_EQ(h.run({"EVAL", "return 1", "1", "x"}), kNoPermKeys);
  EXPECT_EQ(h.run({"EVAL", "return redis.call('get','r:1')", "0"}), kNil);
  // pcall returns the error as a table: its text has no script suffix.
  EXPECT_EQ(h.run({"EVAL", "return redis.pcall('get','x')", "0"}),
            error("ERR The user executing the script can't access at least one of the keys "
                  "mentioned in the command arguments"));
}

TEST(AclNoperm, AclCheckCmdJudgesTheScriptsUser) {
  EngineHarness h;
  ASSERT_EQ(h.run({"ACL", "SETUSER", "lu", "on", "nopass", "~a*", "+get", "+set", "+eval",
                   "+zunionstore"}),
            kOk);
  auto check = [&](const std::string& body) { return h.run({"EVAL", body, "0"}); };
  // The default user may run anything.
  EXPECT_EQ(check("return redis.acl_check_cmd('del','b1')"), integer(1));
  become(h, "lu");
  EXPECT_EQ(check("return redis.acl_check_cmd('get','a1')"), integer(1));
  EXPECT_EQ(check("return redis.acl_check_cmd('get','b1')"), kNil);
  EXPECT_EQ(check("return redis.acl_check_cmd('del','a1')"), kNil);
  EXPECT_EQ(check("return redis.acl_check_cmd('config','get','x')"), kNil);
  EXPECT_EQ(check("return redis.acl_check_cmd('config')"), kNil);
  // Arity is not checked: a line too short names no key.
  EXPECT_EQ(check("return redis.acl_check_cmd('get')"), integer(1));
  EXPECT_EQ(check("return redis.acl_check_cmd('zunionstore')"), integer(1));
  const std::string bad = "return redis.acl_check_cmd('nosuch')";
  EXPECT_EQ(check(bad), script_error("Invalid command passed to redis.acl_check_cmd()", bad));
}

TEST(AclNoperm, SortByAndGetNeedAllKeys) {
  EngineHarness h;
  ASSERT_EQ(h.run({"ACL", "SETUSER", "r", "on", "nopass", "~r:*", "+sort"}), kOk);
  ASSERT_EQ(h.run({"RPUSH", "r:l", "1", "2", "3"}), integer(3));
  ASSERT_EQ(h.run({"MSET", "w_1", "3", "w_2", "2", "w_3", "1"}), kOk);
  become(h, "r");
  EXPECT_EQ(h.run({"SORT", "r:l", "BY", "w_*"}),
            error("ERR BY option of SORT denied due to insufficient ACL permissions."));
  EXPECT_EQ(h.run({"SORT", "r:l", "GET", "w_*"}),
            error("ERR GET option of SORT denied due to insufficient ACL permissions."));
  EXPECT_EQ(h.run({"SORT", "r:l", "GET", "#"}),
            error("ERR GET option of SORT denied due to insufficient ACL permissions."));
  EXPECT_EQ(h.run({"SORT", "r:l", "DESC"}), bulks({"3", "2", "1"}));
  // A BY without '*' reads no key: it only turns sorting off.
  EXPECT_EQ(h.run({"SORT", "r:l", "BY", "nosort"}), bulks({"1", "2", "3"}));
  EXPECT_EQ(h.run({"SORT", "r:l", "BY", "w"}), bulks({"1", "2", "3"}));
  // Read access to every key is enough.
  OtherClient admin(h);
  ASSERT_EQ(admin.run({"ACL", "SETUSER", "r", "%R~*"}), kOk);
  EXPECT_EQ(h.run({"SORT", "r:l", "BY", "w_*", "GET", "#"}), bulks({"3", "2", "1"}));
}

// --- ACL LOG -----------------------------------------------------------------

TEST(AclLog, EntriesAndTheirFields) {
  EngineHarness h;
  ASSERT_EQ(h.run({"ACL", "SETUSER", "r", "on", "nopass", "~r:*", "&ch:*", "+@all"}), kOk);
  become(h, "r");
  h.run({"GET", "x"});
  h.clock().advance_ms(1500);
  h.run({"FLUSHALL"});  // allowed: not logged
  h.run({"PUBLISH", "other", "m"});
  OtherClient admin(h);
  ASSERT_EQ(admin.run({"ACL", "SETUSER", "r", "-debug"}), kOk);
  h.run({"DEBUG", "SLEEP", "0"});
  h.run({"MULTI"});
  h.run({"GET", "y"});
  h.run({"DISCARD"});
  h.run({"EVAL", "return redis.call('get','z')", "0"});
  become_default(h);
  h.clock().advance_ms(250);

  const auto log = acl_log(h);
  ASSERT_EQ(log.size(), 5u);
  // Newest first.
  EXPECT_EQ(log[0].at("reason"), "key");
  EXPECT_EQ(log[0].at("context"), "lua");
  EXPECT_EQ(log[0].at("object"), "z");
  EXPECT_EQ(log[1].at("reason"), "key");
  EXPECT_EQ(log[1].at("context"), "multi");
  EXPECT_EQ(log[1].at("object"), "y");
  EXPECT_EQ(log[2].at("reason"), "command");
  EXPECT_EQ(log[2].at("context"), "toplevel");
  EXPECT_EQ(log[2].at("object"), "debug");
  EXPECT_EQ(log[3].at("reason"), "channel");
  EXPECT_EQ(log[3].at("object"), "other");
  EXPECT_EQ(log[4].at("reason"), "key");
  EXPECT_EQ(log[4].at("context"), "toplevel");
  EXPECT_EQ(log[4].at("object"), "x");
  for (const auto& e : log) {
    EXPECT_EQ(e.at("count"), "1");
    EXPECT_EQ(e.at("username"), "r");
  }
  // Age from the manual clock; client-info is the client's CLIENT LIST line.
  EXPECT_EQ(log[4].at("age-seconds"), "1.75");
  EXPECT_EQ(log[0].at("age-seconds"), "0.25");
  const std::string id = "id=" + std::to_string(h.client().id) + " ";
  EXPECT_EQ(log[4].at("client-info").rfind(id, 0), 0u) << log[4].at("client-info");
  EXPECT_NE(log[4].at("client-info").find(" cmd=get user=r "), std::string::npos);
  EXPECT_NE(log[0].at("client-info").find(" cmd=eval user=r "), std::string::npos);

  // The whole reply has Redis's shape: 7 fields per entry, in this order.
  const Node first = parse(h.run({"ACL", "LOG", "1"}));
  ASSERT_EQ(first.items.size(), 1u);
  std::vector<std::string> names;
  for (size_t i = 0; i < first.items[0].items.size(); i += 2)
    names.push_back(first.items[0].items[i].text);
  EXPECT_EQ(names, (std::vector<std::string>{"count", "reason", "context", "object", "username",
                                             "age-seconds", "client-info"}));
  EXPECT_EQ(first.items[0].items[1].type, ':');  // count is an integer
  EXPECT_EQ(parse(h.run({"ACL", "LOG", "2"})).items.size(), 2u);
  EXPECT_EQ(h.run({"ACL", "LOG", "0"}), "*0\r\n");
  EXPECT_EQ(h.run({"ACL", "LOG", "-1"}), "*0\r\n");
  // RESP3: maps, and the age is a double.
  h.client().resp = 3;
  const Node r3 = parse(h.run({"ACL", "LOG", "1"}));
  EXPECT_EQ(r3.items[0].type, '%');
  EXPECT_EQ(r3.items[0].items[11].type, ',');
  EXPECT_EQ(r3.items[0].items[11].text, "0.25");
  h.client().resp = 2;

  EXPECT_EQ(h.run({"ACL", "LOG", "RESET"}), kOk);
  EXPECT_EQ(h.run({"ACL", "LOG"}), "*0\r\n");
}

TEST(AclLog, SameRefusalWithinAMinuteIsCounted) {
  EngineHarness h;
  ASSERT_EQ(h.run({"ACL", "SETUSER", "r", "on", "nopass", "~r:*", "+@all"}), kOk);
  become(h, "r");
  h.run({"GET", "x"});
  h.clock().advance_ms(30000);
  h.run({"GET", "x"});
  h.run({"SET", "x", "1"});  // same key, same reason: the same entry
  h.run({"GET", "other"});
  h.clock().advance_ms(10000);
  h.run({"GET", "x"});  // moves to the front again
  become_default(h);
  auto log = acl_log(h);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].at("object"), "x");
  EXPECT_EQ(log[0].at("count"), "4");
  EXPECT_EQ(log[0].at("age-seconds"), "0");  // the last occurrence's time
  EXPECT_EQ(log[1].at("object"), "other");
  EXPECT_EQ(log[1].at("count"), "1");
  // More than 60 s after the last one: a new entry.
  h.clock().advance_ms(60001);
  become(h, "r");
  h.run({"GET", "x"});
  become_default(h);
  log = acl_log(h);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].at("count"), "1");
  EXPECT_EQ(log[1].at("count"), "4");
}

TEST(AclLog, MaxLenTrimsOnTheNextEntry) {
  EngineHarness h;
  ASSERT_EQ(h.run({"ACL", "SETUSER", "r", "on", "nopass", "+@all"}), kOk);
  become(h, "r");
  for (const char* k : {"k1", "k2", "k3", "k4"}) h.run({"GET", k});
  become_default(h);
  EXPECT_EQ(acl_log(h).size(), 4u);
  EXPECT_EQ(h.run({"CONFIG", "SET", "acllog-max-len", "2"}), kOk);
  // As in Redis, the log is trimmed when an entry is added, not before.
  EXPECT_EQ(acl_log(h).size(), 4u);
  become(h, "r");
  h.run({"GET", "k5"});
  become_default(h);
  auto log = acl_log(h);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].at("object"), "k5");
  EXPECT_EQ(log[1].at("object"), "k4");
  EXPECT_EQ(h.run({"CONFIG", "SET", "acllog-max-len", "0"}), kOk);
  become(h, "r");
  h.run({"GET", "k6"});
  become_default(h);
  EXPECT_EQ(h.run({"ACL", "LOG"}), "*0\r\n");
}

TEST(AclLog, FailedAuthIsLogged) {
  EngineHarness h;
  ASSERT_EQ(h.run({"ACL", "SETUSER", "r", "on", ">pw", "+@all"}), kOk);
  EXPECT_EQ(h.run({"AUTH", "r", "wrong"}), kWrongPass);
  EXPECT_EQ(h.run({"auth", "nouser", "x"}), kWrongPass);
  EXPECT_EQ(h.run({"HELLO", "3", "AUTH", "r", "wrong"}), kWrongPass);
  const auto log = acl_log(h);
  ASSERT_EQ(log.size(), 3u);
  // The object is the command as the client typed it.
  EXPECT_EQ(log[0].at("object"), "HELLO");
  EXPECT_EQ(log[0].at("username"), "r");
  EXPECT_EQ(log[1].at("object"), "auth");
  EXPECT_EQ(log[1].at("username"), "nouser");
  EXPECT_EQ(log[2].at("object"), "AUTH");
  EXPECT_EQ(log[2].at("username"), "r");
  for (const auto& e : log) {
    EXPECT_EQ(e.at("reason"), "auth");
    EXPECT_EQ(e.at("context"), "toplevel");
    // The client is still the default user.
    EXPECT_NE(e.at("client-info").find(" user=default "), std::string::npos);
  }
}

// --- AUTH, HELLO, RESET and requirepass -----------------------------------------

TEST(AclAuth, AuthSwitchesUser) {
  EngineHarness h;
  ASSERT_EQ(h.run({"ACL", "SETUSER", "r2", "on", "nopass", "+get", "+acl|whoami", "~*"}), kOk);
  EXPECT_EQ(h.run({"AUTH", "r2", "anything"}), kOk);
  EXPECT_EQ(h.client().user, h.engine().acl().find("r2"));
  EXPECT_EQ(h.run({"ACL", "WHOAMI"}), bulk("r2"));
  EXPECT_EQ(h.run({"GET", "k"}), kNil);
  EXPECT_EQ(h.run({"SET", "k", "v"}), noperm_command("set"));
  // A failed AUTH keeps the current user.
  EXPECT_EQ(h.run({"AUTH", "default", "x", "y"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"AUTH", "nobody", "x"}), kWrongPass);
  EXPECT_EQ(h.run({"ACL", "WHOAMI"}), bulk("r2"));
  // RESET goes back to the default user.
  EXPECT_EQ(h.run({"RESET"}), simple("RESET"));
  EXPECT_EQ(h.run({"ACL", "WHOAMI"}), bulk("default"));
  EXPECT_EQ(h.run({"SET", "k", "v"}), kOk);
}

TEST(AclAuth, DisabledUserCannotAuthenticate) {
  EngineHarness h;
  ASSERT_EQ(h.run({"ACL", "SETUSER", "ku", "off", ">pw", "+@all"}), kOk);
  EXPECT_EQ(h.run({"AUTH", "ku", "pw"}), kWrongPass);
  EXPECT_EQ(h.run({"HELLO", "2", "AUTH", "ku", "pw"}), kWrongPass);
  ASSERT_EQ(h.run({"ACL", "SETUSER", "ku", "on"}), kOk);
  const std::string hello = h.run({"HELLO", "3", "AUTH", "ku", "pw", "SETNAME", "n1"});
  EXPECT_EQ(hello.substr(0, 4), "%7\r\n");
  EXPECT_EQ(h.client().resp, 3);
  EXPECT_EQ(h.client().name, "n1");
  EXPECT_EQ(h.run({"ACL", "WHOAMI"}), bulk("ku"));
}

TEST(AclAuth, RequirepassIsTheDefaultUsersPassword) {
  EngineHarness h;
  EXPECT_EQ(h.run({"CONFIG", "SET", "requirepass", "secret"}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "default"}),
            user_reply({"on"}, {kHashSecret}, "+@all", "~*", "&*"));
  EXPECT_EQ(list_line(h, "default"),
            std::string("user default on #") + kHashSecret + " ~* &* +@all");
  h.client().authenticated = false;
  EXPECT_EQ(h.run({"GET", "k"}), error("NOAUTH Authentication required."));
  EXPECT_EQ(h.run({"AUTH", "wrong"}), kWrongPass);
  EXPECT_EQ(h.run({"AUTH", "secret"}), kOk);
  EXPECT_EQ(h.run({"CONFIG", "SET", "requirepass", ""}), kOk);
  EXPECT_EQ(h.run({"ACL", "GETUSER", "default"}),
            user_reply({"on", "nopass"}, {}, "+@all", "~*", "&*"));
  EXPECT_EQ(list_line(h, "default"), "user default on nopass ~* &* +@all");
  // Without nopass and without a password nobody can log in: a new client
  // must authenticate.
  EXPECT_EQ(h.run({"ACL", "SETUSER", "default", "resetpass"}), kOk);
  OtherClient other(h);
  EXPECT_EQ(other.run({"PING"}), error("NOAUTH Authentication required."));
  EXPECT_EQ(other.run({"AUTH", "x"}), kWrongPass);
  EXPECT_EQ(h.run({"ACL", "SETUSER", "default", ">abc"}), kOk);
  EXPECT_EQ(other.run({"AUTH", "abc"}), kOk);
  EXPECT_EQ(other.run({"PING"}), simple("PONG"));
}

// --- Clients of users that change or go away ----------------------------------

TEST(AclClients, DeluserDisconnectsTheUsersClients) {
  EngineHarness h;
  ASSERT_EQ(h.run({"ACL", "SETUSER", "k", "on", "nopass", "+@all", "~*", "&*"}), kOk);
  OtherClient a(h), b(h);
  EXPECT_EQ(a.run({"AUTH", "k", "x"}), kOk);
  EXPECT_EQ(h.run({"ACL", "DELUSER", "k"}), integer(1));
  EXPECT_EQ(a.conn.closed, 1);
  EXPECT_EQ(b.conn.closed, 0);
  // Until it is gone, the client runs as nobody it could not log in as.
  EXPECT_EQ(a.c.user, &h.engine().acl().default_user());
  EXPECT_FALSE(a.c.authenticated);

  // Deleting one's own user: the connection closes after the reply.
  ASSERT_EQ(h.run({"ACL", "SETUSER", "k", "on", "nopass", "+@all", "~*", "&*"}), kOk);
  EXPECT_EQ(h.run({"AUTH", "k", "x"}), kOk);
  EXPECT_EQ(h.run({"ACL", "DELUSER", "k"}), integer(1));
  EXPECT_TRUE(h.client().close_after_reply);
}

TEST(AclClients, ClientKillUser) {
  EngineHarness h;
  ASSERT_EQ(h.run({"ACL", "SETUSER", "ku", "on", "nopass", "+@all", "~*", "&*"}), kOk);
  OtherClient a(h), b(h), c(h);
  EXPECT_EQ(a.run({"AUTH", "ku", "x"}), kOk);
  EXPECT_EQ(b.run({"AUTH", "ku", "x"}), kOk);
  EXPECT_EQ(h.run({"CLIENT", "KILL", "USER", "ku"}), integer(2));
  EXPECT_EQ(a.conn.dropped, 1);
  EXPECT_EQ(b.conn.dropped, 1);
  EXPECT_EQ(c.conn.dropped, 0);
  EXPECT_EQ(h.run({"CLIENT", "KILL", "USER", "nosuch"}), error("ERR No such user 'nosuch'"));
}

TEST(AclClients, SubscriberLosingItsChannelsIsDropped) {
  EngineHarness h;
  ASSERT_EQ(h.run({"ACL", "SETUSER", "m2", "on", "nopass", "~*", "&c:*", "+@all"}), kOk);
  OtherClient s(h), idle(h);
  auto p = std::make_unique<OtherClient>(h);
  EXPECT_EQ(s.run({"AUTH", "m2", "x"}), kOk);
  EXPECT_EQ(s.run({"SUBSCRIBE", "c:1"}), "*3\r\n" + bulk("subscribe") + bulk("c:1") + ":1\r\n");
  EXPECT_EQ(p->run({"AUTH", "m2", "x"}), kOk);
  EXPECT_EQ(p->run({"PSUBSCRIBE", "c:*"}), "*3\r\n" + bulk("psubscribe") + bulk("c:*") + ":1\r\n");
  EXPECT_EQ(idle.run({"AUTH", "m2", "x"}), kOk);
  // c:1 is still allowed; the pattern c:* is not (patterns match literally).
  EXPECT_EQ(h.run({"ACL", "SETUSER", "m2", "resetchannels", "&c:1"}), kOk);
  EXPECT_EQ(s.conn.dropped, 0);
  EXPECT_EQ(p->conn.dropped, 1);
  EXPECT_EQ(idle.conn.dropped, 0);
  p.reset();  // the server closes that connection
  // Adding channels drops nobody.
  EXPECT_EQ(h.run({"ACL", "SETUSER", "m2", "&e"}), kOk);
  EXPECT_EQ(s.conn.dropped, 0);
  EXPECT_EQ(h.run({"ACL", "SETUSER", "m2", "resetchannels", "&d"}), kOk);
  EXPECT_EQ(s.conn.dropped, 1);
  EXPECT_EQ(idle.conn.dropped, 0);  // not subscribed: stays
  EXPECT_EQ(idle.conn.closed, 0);
}

}  // namespace kvd::test
