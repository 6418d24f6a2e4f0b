#include "kvd/persist/child_info.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace kvd::persist {
namespace {

// One message, well under PIPE_BUF, so a write is all or nothing and the
// parent's reads always end on a message boundary.
struct Message {
  uint32_t final = 0;  // 1: the child's last word (its final COW size)
  uint32_t pad = 0;
  uint64_t keys_processed = 0;
  uint64_t cow_bytes = 0;
  int64_t cow_measured_ms = 0;  // 0: no new COW reading in this message
};

constexpr uint64_t kKeysPerReport = 1024;
constexpr int64_t kCowEveryMs = 1000;  // reading /proc costs; Redis does it once a second

engine::ChildProgress& progress(engine::Engine& e) {
  return e.snapshot_state().child_progress;
}

void send(engine::Engine& e, bool final, bool measure_cow) {
  engine::ChildProgress& p = progress(e);
  Message m;
  m.final = final ? 1 : 0;
  m.keys_processed = p.keys_processed;
  if (measure_cow) {
    m.cow_bytes = private_dirty_bytes();
    m.cow_measured_ms = e.clock().now_ms();
    p.cow_measured_ms = m.cow_measured_ms;
    p.cow_bytes = m.cow_bytes;
  }
  // Non-blocking: a parent too busy to read costs a report, never the save.
  [[maybe_unused]] ssize_t n = ::write(p.write_fd, &m, sizeof m);
}

void apply(engine::ChildProgress& p, const Message& m) {
  p.keys_processed = m.keys_processed;
  if (m.cow_measured_ms == 0) return;
  p.cow_bytes = m.cow_bytes;
  p.cow_updated_ms = m.cow_measured_ms;
  if (m.cow_bytes > p.cow_peak) p.cow_peak = m.cow_bytes;
  p.cow_sum += m.cow_bytes;
  ++p.cow_samples;
}

void drain(engine::ChildProgress& p) {
  if (p.read_fd < 0) return;
  Message batch[64];
  for (;;) {
    ssize_t n = ::read(p.read_fd, batch, sizeof batch);
    if (n <= 0) return;  // EAGAIN (nothing yet), EOF, or an error: done for now
    for (size_t i = 0; i < static_cast<size_t>(n) / sizeof(Message); ++i) apply(p, batch[i]);
  }
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

uint64_t private_dirty_bytes() {
  // smaps_rollup (Linux 4.14+) sums every mapping in one short read; smaps
  // lists each mapping and is slow on a big heap.
  std::FILE* f = std::fopen("/proc/self/smaps_rollup", "r");
  if (f == nullptr) f = std::fopen("/proc/self/smaps", "r");
  if (f == nullptr) return 0;
  uint64_t total_kb = 0;
  char line[256];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    unsigned long long kb = 0;
    if (std::sscanf(line, "Private_Dirty: %llu kB", &kb) == 1) total_kb += kb;
  }
  std::fclose(f);
  return total_kb * 1024;
}

bool child_info_open(engine::Engine& e) {
  engine::ChildProgress& p = progress(e);
  close_fd(p.read_fd);
  close_fd(p.write_fd);
  p = engine::ChildProgress{};
  for (int i = 0; i < e.db_count(); ++i) p.keys_total += e.db(i).size();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    spdlog::warn("Can't open the child info pipe: {}", std::strerror(errno));
    return false;
  }
  p.read_fd = fds[0];
  p.write_fd = fds[1];
  return true;
}

void child_info_after_fork(engine::Engine& e, int pid, int parent_pid) {
  engine::ChildProgress& p = progress(e);
  if (pid == 0) {
#if defined(__linux__)
    // A child whose parent was killed (kill -9, the OOM killer) would write
    // for no one, holding memory and disk: it dies with it, as Redis's does.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent_pid) ::_exit(1);  // it died before the line above
#else
    (void)parent_pid;
#endif
    close_fd(p.read_fd);
    p.cow_measured_ms = e.clock().now_ms();  // the first reading a second in
    return;
  }
  close_fd(p.write_fd);
  if (pid < 0) close_fd(p.read_fd);
}

void child_info_key_saved(engine::Engine& e) {
  engine::ChildProgress& p = progress(e);
  if (p.write_fd < 0) return;  // not a child that reports (SAVE, DEBUG RELOAD)
  ++p.keys_processed;
  if (++p.unreported_keys < kKeysPerReport) return;
  p.unreported_keys = 0;
  send(e, false, e.clock().now_ms() - p.cow_measured_ms >= kCowEveryMs);
}

void child_info_final(engine::Engine& e, ChildKind kind) {
  engine::ChildProgress& p = progress(e);
  if (p.write_fd < 0) return;
  send(e, true, true);
  spdlog::info("{}: {} MB of memory used by copy-on-write", kind == ChildKind::kRdb ? "RDB" : "AOF",
               p.cow_bytes / (1024 * 1024));
}

void child_info_poll(engine::Engine& e) {
  drain(progress(e));
}

void child_info_close(engine::Engine& e, ChildKind kind, bool ok) {
  engine::ChildProgress& p = progress(e);
  drain(p);
  if (p.cow_samples > 0) {
    constexpr uint64_t kMb = 1024 * 1024;
    spdlog::debug("Fork CoW for {}: current {} MB, peak {} MB, average {} MB",
                  kind == ChildKind::kRdb ? "RDB" : "AOF", p.cow_bytes / kMb, p.cow_peak / kMb,
                  p.cow_sum / p.cow_samples / kMb);
  }
  if (ok) {
    uint64_t& last = kind == ChildKind::kRdb ? e.snapshot_state().rdb_last_cow_bytes
                                             : e.snapshot_state().aof_last_cow_bytes;
    last = p.cow_bytes;
  }
  close_fd(p.read_fd);
  close_fd(p.write_fd);
  p = engine::ChildProgress{};
}

}  // namespace kvd::persist
