// The streaming RDB reader against the whole-image one: the same image fed
// in pieces of every small size gives the same keys, and a damaged or cut
// image is refused with the same words.
#include "kvd/persist/rdb_stream_loader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>

namespace kvd::persist {
namespace {

// A snapshot of `n` string keys (every third with a deadline), a library
// and the replication aux fields, as RdbFileWriter writes it.
std::string make_image(int n) {
  FILE* f = std::tmpfile();
  RdbFileWriter w(::fileno(f), true);
  w.begin(1000, 0);
  w.repl_info(3, std::string(40, 'a'), 77);
  w.library("#!lua name=lib\nredis.register_function('f', function() return 1 end)");
  w.select_db(0, static_cast<uint64_t>(n), 0);
  for (int i = 0; i < n; ++i) {
    engine::Value v = engine::Value::from_string(std::string(i % 97 * 40, 'v') + std::to_string(i));
    w.key("key:" + std::to_string(i), v, i % 3 == 0 ? 5'000'000 + i : -1);
    v.destroy();
  }
  EXPECT_TRUE(w.finish());
  std::string image;
  std::rewind(f);
  char buf[4096];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) image.append(buf, got);
  std::fclose(f);
  return image;
}

struct Loaded {
  std::map<std::string, std::pair<std::string, int64_t>> keys;
  std::vector<std::string> libraries;
  std::map<std::string, std::string> aux;
};

RdbKeySink key_sink(Loaded& out) {
  return [&out](int, std::string key, engine::Value v, int64_t expire_ms, const KeyAccess&) {
    char scratch[32];
    out.keys[key] = {std::string(v.str(scratch)), expire_ms};
    v.destroy();
  };
}

Loaded load_in_pieces(const std::string& image, size_t piece, std::string* err,
                      std::string* trailing = nullptr) {
  Loaded out;
  RdbStreamLoader loader(
      DecodeLimits{}, 0, key_sink(out),
      [&out](std::string code) {
        out.libraries.push_back(std::move(code));
        return std::string();
      },
      [&out](std::string_view n, std::string_view v) { out.aux[std::string(n)] = v; });
  RdbStreamLoader::Status st = RdbStreamLoader::Status::kNeedMore;
  int pauses = 0;
  for (size_t off = 0; off < image.size(); off += piece) {
    loader.append(std::string_view(image).substr(off, piece));
    if (off + piece >= image.size()) loader.end_of_input();
    // Pause after every 50 records, as a time budget would.
    int records = 0;
    while ((st = loader.parse([&] { return ++records % 50 != 0; })) ==
           RdbStreamLoader::Status::kPaused)
      ++pauses;
    if (st == RdbStreamLoader::Status::kError || st == RdbStreamLoader::Status::kDone) break;
  }
  *err = st == RdbStreamLoader::Status::kDone ? "" : loader.error();
  if (st == RdbStreamLoader::Status::kNeedMore) *err = "incomplete";
  if (trailing) *trailing = std::string(loader.trailing());
  return out;
}

TEST(RdbStreamLoader, PiecesOfAnySizeLoadWhatTheWholeImageLoads) {
  const std::string image = make_image(400);
  Loaded whole;
  ASSERT_EQ(load_rdb(image, DecodeLimits{}, 0, key_sink(whole), nullptr,
                     [&](std::string code) {
                       whole.libraries.push_back(std::move(code));
                       return std::string();
                     }),
            "");
  ASSERT_EQ(whole.keys.size(), 400u);
  for (size_t piece : {size_t{1}, size_t{3}, size_t{7}, size_t{4096}, image.size()}) {
    std::string err;
    Loaded got = load_in_pieces(image, piece, &err);
    EXPECT_EQ(err, "") << "piece " << piece;
    EXPECT_EQ(got.keys, whole.keys) << "piece " << piece;
    EXPECT_EQ(got.libraries, whole.libraries);
    EXPECT_EQ(got.aux["repl-stream-db"], "3");
    EXPECT_EQ(got.aux["repl-offset"], "77");
  }
}

TEST(RdbStreamLoader, BytesAfterTheImageAreLeftForTheCaller) {
  const std::string mark(40, 'm');
  std::string err, trailing;
  load_in_pieces(make_image(10) + mark, 5, &err, &trailing);
  EXPECT_EQ(err, "");
  EXPECT_EQ(trailing, mark);
}

TEST(RdbStreamLoader, DamagedOrCutImagesAreRefused) {
  std::string image = make_image(50);
  std::string err;
  std::string bad_crc = image;
  bad_crc[bad_crc.size() - 1] ^= 1;
  load_in_pieces(bad_crc, 13, &err);
  EXPECT_EQ(err, "RDB CRC error");
  load_in_pieces(image.substr(0, image.size() / 2), 13, &err);
  EXPECT_EQ(err, "truncated RDB file");
  load_in_pieces("REDIX0010" + image.substr(9), 4, &err);
  EXPECT_EQ(err, "not an RDB file");
  std::string bad_type = image;
  // The first key's type byte (after the header and aux fields): an
  // unknown type is malformed, not short.
  const size_t at = bad_type.find("key:0") - 2;
  bad_type[at] = 99;
  load_in_pieces(bad_type, 64, &err);
  EXPECT_NE(err, "");
  EXPECT_NE(err, "incomplete");
  EXPECT_NE(err, "truncated RDB file");
}

}  // namespace
}  // namespace kvd::persist
