// The engine's side of ACL: refusing commands at dispatch, the ACL LOG
// entries that go with it, the configuration that drives the default user,
// and what a change of users does to connected clients.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "kvd/engine/acl.hpp"
#include "kvd/engine/client_info.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/pubsub.hpp"
#include "kvd/engine/transaction.hpp"

namespace kvd::engine {
namespace {

AclLogEntry::Context context_of(const Client& c) {
  if (c.script) return AclLogEntry::Context::kLua;
  return in_multi(c) || c.in_exec ? AclLogEntry::Context::kMulti : AclLogEntry::Context::kToplevel;
}

}  // namespace

void Engine::configure_acl() {
  acl_ = std::make_unique<Acl>(commands_);
  auto apply_settings = [this] {
    acl_->pubsub_default_all = config_.get("acl-pubsub-default").value_or("") == "allchannels";
    // A shorter limit trims the log only when the next entry is added, as
    // in Redis: ACL LOG still shows the older entries until then.
    acl_->log_max_len =
        static_cast<size_t>(std::stoll(config_.get("acllog-max-len").value_or("128")));
  };
  apply_settings();
  acl_->set_default_password(config_.v().requirepass);
  config_.on_change("acl-pubsub-default", apply_settings);
  config_.on_change("acllog-max-len", apply_settings);
  config_.on_change("requirepass", [this] { acl_->set_default_password(config_.v().requirepass); });
  // CONFIG REWRITE writes every user as a `user` line, unless they live in
  // an ACL file.
  config_.user_lines = [this] {
    std::vector<std::string> lines;
    if (!config_.get("aclfile").value_or("").empty()) return lines;
    for (const auto& [name, u] : acl_->users())
      lines.push_back("user " + name + " " + acl_->describe(*u));
    return lines;
  };
}

std::string Engine::load_acl_at_startup() {
  const std::string file = config_.get("aclfile").value_or("");
  if (!file.empty() && !config_.acl_user_lines.empty()) {
    return "Configuring Redis with users defined in redis.conf and at the same setting an ACL "
           "file path is invalid. This setup is very likely to lead to configuration errors and "
           "security holes, please define either an ACL file or declare users directly in your "
           "redis.conf, but not both.";
  }
  for (const auto& words : config_.acl_user_lines) {
    const std::string& name = words[0];
    AclUser* existing = acl_->find(name);
    AclUser u = existing ? *existing : acl_->make_user(name);
    if (existing) acl_->apply(u, "reset");  // only "default" exists before
    std::vector<std::string> rules(words.begin() + 1, words.end()), merged;
    size_t bad = 0;
    if (!merge_selector_words(rules, merged, &bad))
      return "Unmatched parenthesis in acl selector starting at '" + rules[bad] + "'.";
    for (const auto& rule : merged) {
      AclRuleError e = acl_->apply(u, rule);
      if (e != AclRuleError::kOk) {
        if (hooks_)
          hooks_->log_warning("Error loading ACL rule '" + rule + "' for the user named '" + name +
                              "': " + acl_rule_error_text(e));
        return "Critical error while loading ACLs. Exiting.";
      }
    }
    if (!u.enabled && hooks_)
      hooks_->log_warning("The user '" + name +
                          "' is disabled (there is no 'on' modifier in the user description). "
                          "Make sure this is not a configuration error.");
    acl_->put(std::move(u));
  }
  if (!file.empty()) {
    std::string e = load_acl_file();
    if (!e.empty()) return "Aborting Redis startup because of ACL errors: " + e;
  }
  return "";
}

std::string Engine::acl_file_path() const {
  std::string file = config_.get("aclfile").value_or("");
  // Redis resolves it in `dir`, where it has chdir'ed to.
  if (!file.empty() && file[0] != '/') file = config_.v().dir + "/" + file;
  return file;
}

std::string Engine::load_acl_file() {
  const std::string file = config_.get("aclfile").value_or("");
  std::ifstream in(acl_file_path());
  if (!in) return "Error loading ACLs, opening file '" + file + "': " + std::strerror(errno);
  std::stringstream text;
  text << in.rdbuf();
  Acl::UserMap fresh;
  std::string errors = acl_->parse_file(text.str(), file, fresh);
  if (!errors.empty()) return errors;
  // Every user of the old set goes away (the default user's object stays):
  // their clients are disconnected, as Redis frees the old users.
  for (const auto& [name, u] : acl_->users())
    if (u.get() != &acl_->default_user()) drop_clients_of(*u, nullptr);
  acl_->replace_all(std::move(fresh));
  return "";
}

bool Engine::reject_by_acl(Client& c, const CommandSpec& spec, Args args,
                           protocol::ReplyWriter& out) {
  int pos = 0;
  const AclDenied denied = acl_->check(*c.user, spec, args, &pos);
  if (denied == AclDenied::kOk) return false;
  AclLogEntry entry;
  entry.reason = denied;
  entry.context = context_of(c);
  entry.object =
      denied == AclDenied::kCommand ? spec.fullname : std::string(args[static_cast<size_t>(pos)]);
  entry.username = c.user->name;
  entry.ctime_ms = clock_.now_ms();
  entry.client_info = client_info_line(c, entry.ctime_ms);
  acl_->add_log(std::move(entry));
  if (c.in_exec) {
    // Allowed when queued, refused now: the rules changed in between.
    const char* reason = denied == AclDenied::kCommand
                             ? "no permission to execute the command or subcommand"
                         : denied == AclDenied::kKey
                             ? "no permission to touch the specified keys"
                             : "no permission to access one of the channels used as arguments";
    out.error(std::string("NOPERM ACLs rules changed between the moment the transaction was "
                          "accumulated and the EXEC call. This command is no longer allowed for "
                          "the following reason: ") +
              reason);
    count_error(out.last_error_code());
    return true;
  }
  std::string msg;
  if (denied == AclDenied::kCommand)
    msg = "NOPERM this user has no permissions to run the '" + spec.fullname + "' command";
  else if (denied == AclDenied::kKey)
    msg = "NOPERM this user has no permissions to access one of the keys used as arguments";
  else
    msg = "NOPERM this user has no permissions to access one of the channels used as arguments";
  reject(c, out, &spec, msg);
  return true;
}

std::string Engine::acl_script_refusal(Client& sc, const CommandSpec& spec, Args args) {
  if (!sc.user || sc.user->unrestricted) return "";
  int pos = 0;
  const AclDenied denied = acl_->check(*sc.user, spec, args, &pos);
  if (denied == AclDenied::kOk) return "";
  AclLogEntry entry;
  entry.reason = denied;
  entry.context = AclLogEntry::Context::kLua;
  entry.object =
      denied == AclDenied::kCommand ? spec.fullname : std::string(args[static_cast<size_t>(pos)]);
  entry.username = sc.user->name;
  entry.ctime_ms = clock_.now_ms();
  // The log shows the client that ran the script.
  const Client* caller = sc.script_caller ? sc.script_caller : &sc;
  entry.client_info = client_info_line(*caller, entry.ctime_ms);
  acl_->add_log(std::move(entry));
  const char* what = denied == AclDenied::kCommand ? "can't run this command or subcommand"
                     : denied == AclDenied::kKey
                         ? "can't access at least one of the keys mentioned in the command "
                           "arguments"
                         : "can't publish to the channel mentioned in the command";
  return std::string("The user executing the script ") + what;
}

void Engine::log_auth_failure(const Client& c, std::string_view command,
                              std::string_view username) {
  AclLogEntry entry;
  entry.reason = AclDenied::kAuth;
  entry.context = context_of(c);
  entry.object = std::string(command);
  entry.username = std::string(username);
  entry.ctime_ms = clock_.now_ms();
  entry.client_info = client_info_line(c, entry.ctime_ms);
  acl_->add_log(std::move(entry));
}

void Engine::drop_clients_of_lost_channels(const AclUser& stored, const AclUser& staged) {
  // Nothing is lost when the new rules allow every channel, or hold every
  // channel rule the old ones had.
  std::vector<std::string> upcoming;
  for (const auto& s : staged.selectors) {
    if (s.all_channels) return;
    upcoming.insert(upcoming.end(), s.channels.begin(), s.channels.end());
  }
  bool superset = true;
  for (const auto& s : stored.selectors) {
    if (s.all_channels) superset = false;
    for (const auto& ch : s.channels)
      if (std::find(upcoming.begin(), upcoming.end(), ch) == upcoming.end()) superset = false;
  }
  if (superset) return;
  AclUser probe;
  AclSelector only;
  only.channels = upcoming;
  probe.selectors.push_back(std::move(only));
  for (const auto& [id, c] : clients_) {
    if (c->user != &stored || !c->pubsub || !in_pubsub_mode(*c)) continue;
    bool lost = false;
    for (const auto& p : c->pubsub->patterns) lost = lost || !acl_->channel_allowed(probe, p, true);
    for (const auto& ch : c->pubsub->channels)
      lost = lost || !acl_->channel_allowed(probe, ch, false);
    for (const auto& ch : c->pubsub->shard_channels)
      lost = lost || !acl_->channel_allowed(probe, ch, false);
    if (lost && c->conn) c->conn->drop_soon();
  }
}

void Engine::drop_clients_of(const AclUser& user, const Client* current) {
  for (const auto& [id, c] : clients_) {
    if (c->user != &user) continue;
    // Back to the default user, unauthenticated, until the connection is
    // gone: nothing may run as a user that no longer exists.
    c->user = &acl_->default_user();
    c->authenticated = false;
    if (c == current)
      c->close_after_reply = true;
    else if (c->conn)
      c->conn->close_soon();
  }
}

}  // namespace kvd::engine
