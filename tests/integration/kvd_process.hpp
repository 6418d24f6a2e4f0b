#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace kvd::itest {

using Clock = std::chrono::steady_clock;

// Polls `cond` until it holds or the deadline passes. Tests wait on conditions,
// never on bare sleeps.
inline bool wait_until(const std::function<bool()>& cond,
                       std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  auto end = Clock::now() + deadline;
  while (Clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

// A command as RESP bytes, for tests that write to raw sockets.
inline std::string resp(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

// A fresh directory under /tmp, removed with what is in it.
struct TempDir {
  std::string path;
  explicit TempDir(const std::string& prefix = "kvd-itest") {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    const char* d = ::mkdtemp(tmpl.data());
    path = d ? d : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// A port nobody listens on right now (the kernel picks it).
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// Extra arguments every test server gets, e.g. "--io-threads 4" from the
// environment, so the whole suite can run against each threading mode.
inline std::vector<std::string> env_args() {
  std::vector<std::string> out;
  if (const char* t = std::getenv("KVD_TEST_IO_THREADS")) {
    out.push_back("--io-threads");
    out.push_back(t);
  }
  // KVD_TEST_IO_URING=1: the client sockets on the io_uring transport.
  if (const char* u = std::getenv("KVD_TEST_IO_URING"); u && std::string(u) == "1") {
    out.push_back("--io-uring");
    out.push_back("yes");
  }
  return out;
}

// Run in the forked child just before exec, when set (a test that starts
// kvd in a restricted sandbox, e.g. under a seccomp filter).
inline std::function<void()>& child_setup() {
  static std::function<void()> hook;
  return hook;
}

using RedisPtr = std::unique_ptr<redisContext, decltype(&redisFree)>;
using ReplyPtr = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

// A kvd child process on 127.0.0.1:<free port>; stopped (SIGTERM, then SIGKILL
// after a deadline) when the object goes away.
class KvdProcess {
 public:
  // kLoaded: the constructor returns once the dataset is loaded (PING no
  // longer answers LOADING); kListening: as soon as the server answers.
  enum class Ready { kLoaded, kListening };

  explicit KvdProcess(std::vector<std::string> args = {}, std::string config_file = "",
                      Ready ready = Ready::kLoaded) {
    port_ = free_port();
    std::vector<std::string> argv{KVD_BINARY};
    if (!config_file.empty()) argv.push_back(config_file);
    for (auto& a : std::vector<std::string>{"--port", std::to_string(port_), "--bind", "127.0.0.1",
                                            "--loglevel", "warning"}) {
      argv.push_back(a);
    }
    // No save points unless a test asks (its own --save lines replace this
    // one): with redis-server's built-in ones a stopped server would leave
    // a dump.rdb in the working directory for the next test to load.
    if (config_file.empty()) {
      argv.push_back("--save");
      argv.push_back("");
    }
    for (auto& a : env_args()) argv.push_back(a);
    for (auto& a : args) argv.push_back(a);
    pid_ = fork();
    if (pid_ == 0) {
#ifdef __linux__
      // If the test process dies, the server must not outlive it.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
      // The server's log goes to a file: an inherited pipe would keep whoever
      // reads the test's output waiting.
      std::string log = "/tmp/kvd-itest-" + std::to_string(port_) + ".log";
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        ::close(fd);
      }
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      if (child_setup()) child_setup()();
      execv(cargv[0], cargv.data());
      _exit(127);
    }
    // A server that exits at startup (a bad config or snapshot) fails at once.
    bool exited = false;
    wait_until([&] {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited = true;
        pid_ = -1;
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      return exited || (ready == Ready::kLoaded ? loaded() : ping());
    });
    if (exited || !ping()) throw std::runtime_error("kvd did not start");
  }

  ~KvdProcess() {
    stop();
  }

  int port() const {
    return port_;
  }
  pid_t pid() const {
    return pid_;
  }

  // Waits for the server to end by itself (a crash, SHUTDOWN); its raw wait
  // status, or -1 if it was still running at the deadline.
  int wait_for_exit(std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    if (pid_ <= 0) return -1;
    int status = 0;
    if (!wait_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, deadline)) return -1;
    pid_ = -1;
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return status;
  }

  // Sends SIGTERM and waits for the exit status (-1 if it had to be killed).
  int stop() {
    if (pid_ <= 0) return exit_status_;
    ::kill(pid_, SIGTERM);
    int status = 0;
    bool exited = wait_until(
        [&] {
          pid_t r = waitpid(pid_, &status, WNOHANG);
          return r == pid_;
        },
        std::chrono::seconds(10));
    if (!exited) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      exit_status_ = -1;
    } else {
      exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    pid_ = -1;
    return exit_status_;
  }

  // What the server logged so far (its stdout and stderr).
  std::string log_text() const {
    std::ifstream in("/tmp/kvd-itest-" + std::to_string(port_) + ".log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  RedisPtr connect() const {
    timeval tv{5, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    if (c && !c->err) redisSetTimeout(c, tv);
    return RedisPtr(c, redisFree);
  }

  bool ping() const {
    auto c = connect();
    if (!c || c->err) return false;
    // Any reply means the server is up (-NOAUTH included).
    auto r = command(c.get(), {"PING"});
    return r && (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR);
  }

  // Up, and done loading its dataset.
  bool loaded() const {
    auto c = connect();
    if (!c || c->err) return false;
    auto r = command(c.get(), {"PING"});
    return r && (r->type == REDIS_REPLY_STATUS ||
                 (r->type == REDIS_REPLY_ERROR && std::string(r->str).rfind("LOADING", 0) != 0));
  }

  // Runs a command given as separate arguments (binary safe).
  static ReplyPtr command(redisContext* c, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    void* r = redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data());
    return ReplyPtr(static_cast<redisReply*>(r), freeReplyObject);
  }

  // A plain blocking TCP socket for raw protocol tests.
  int raw_socket() const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port_));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      return -1;
    }
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  }

 private:
  int port_ = 0;
  pid_t pid_ = -1;
  int exit_status_ = 0;
};

// Reads from a raw socket until `n` bytes arrived, EOF, or timeout.
inline std::string read_exact(int fd, size_t n) {
  std::string s;
  char buf[65536];
  while (s.size() < n) {
    ssize_t r = ::read(fd, buf, std::min(sizeof buf, n - s.size()));
    if (r <= 0) break;
    s.append(buf, static_cast<size_t>(r));
  }
  return s;
}

inline bool write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t w = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (w <= 0) return false;
    off += static_cast<size_t>(w);
  }
  return true;
}

// Reads until EOF (or error/timeout); returns everything read.
inline std::string read_to_eof(int fd) {
  std::string s;
  char buf[65536];
  while (true) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r <= 0) break;
    s.append(buf, static_cast<size_t>(r));
  }
  return s;
}

inline void raise_fd_limit(rlim_t want) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < want) {
    rl.rlim_cur = std::min(want, rl.rlim_max);
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// One field of INFO ("" when absent).
inline std::string info_field(redisContext* c, const std::string& field) {
  auto r = KvdProcess::command(c, {"INFO", "everything"});
  if (!r || r->type != REDIS_REPLY_STRING) return "";
  std::string info(r->str, r->len);
  auto pos = info.find("\r\n" + field + ":");
  if (pos == std::string::npos) return "";
  pos += 2;
  auto end = info.find("\r\n", pos);
  return info.substr(pos + field.size() + 1, end - pos - field.size() - 1);
}

// Whether the suite runs with --io-uring yes (KVD_TEST_IO_URING=1).
inline bool env_io_uring() {
  const char* u = std::getenv("KVD_TEST_IO_URING");
  return u && std::string(u) == "1";
}

// The --io-threads value the suite runs with (KVD_TEST_IO_THREADS), 1 if unset.
inline int env_io_threads() {
  const char* t = std::getenv("KVD_TEST_IO_THREADS");
  return t ? std::atoi(t) : 1;
}

}  // namespace kvd::itest
