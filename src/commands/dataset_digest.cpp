#include "dataset_digest.hpp"

#include <arpa/inet.h>

#include <cstdio>

#include "kvd/common/sha1.hpp"
#include "kvd/engine/database.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/types/hash.hpp"
#include "kvd/engine/types/list.hpp"
#include "kvd/engine/types/set.hpp"
#include "kvd/engine/types/stream.hpp"
#include "kvd/engine/types/zset.hpp"

namespace kvd::commands {
namespace {

// digest ^= SHA1(data): order does not matter.
void xor_in(Digest& digest, std::string_view data) {
  const std::array<uint8_t, 20> h = sha1(data);
  for (size_t i = 0; i < digest.size(); ++i) digest[i] ^= h[i];
}

// digest = SHA1(digest ^ SHA1(data)): order matters.
void mix_in(Digest& digest, std::string_view data) {
  xor_in(digest, data);
  digest = sha1(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

void mix_u32(Digest& digest, uint32_t v) {
  const uint32_t be = htonl(v);
  mix_in(digest, std::string_view(reinterpret_cast<const char*>(&be), sizeof be));
}

// Redis's type numbers (OBJ_STRING ... OBJ_STREAM), which the digest hashes.
uint32_t redis_type(ValueType t) {
  switch (t) {
    case ValueType::kString:
      return 0;
    case ValueType::kList:
      return 1;
    case ValueType::kSet:
      return 2;
    case ValueType::kZSet:
      return 3;
    case ValueType::kHash:
      return 4;
    case ValueType::kStream:
      return 6;
  }
  return 0;
}

std::string_view as_view(const Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace

void mix_value_digest(Digest& digest, const Database& db, const Entry& e) {
  const Value& v = e.value;
  mix_u32(digest, redis_type(v.type()));
  switch (v.type()) {
    case ValueType::kString: {
      char scratch[32];
      mix_in(digest, v.str(scratch));
      break;
    }
    case ValueType::kList: {
      const auto* l = static_cast<const List*>(v.object());
      l->for_each(0, l->size(), [&](std::string_view el) { mix_in(digest, el); });
      break;
    }
    case ValueType::kSet:
      static_cast<const SetObject*>(v.object())->for_each([&](std::string_view m) {
        xor_in(digest, m);
      });
      break;
    case ValueType::kZSet: {
      const auto* z = static_cast<const ZSet*>(v.object());
      z->for_range(0, z->element_count(), false, [&](std::string_view m, double score) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", score);
        Digest member{};
        mix_in(member, m);
        mix_in(member, buf);
        xor_in(digest, as_view(member));
      });
      break;
    }
    case ValueType::kHash:
      static_cast<const HashObject*>(v.object())
          ->for_each([&](std::string_view f, std::string_view val) {
            Digest pair{};
            mix_in(pair, f);
            mix_in(pair, val);
            xor_in(digest, as_view(pair));
          });
      break;
    case ValueType::kStream: {
      const auto* s = static_cast<const StreamObject*>(v.object());
      s->range(StreamID::min(), StreamID::max(), false, [&](const StreamEntry& entry) {
        char id[48];
        std::snprintf(id, sizeof id, "%llu.%llu", static_cast<unsigned long long>(entry.id.ms),
                      static_cast<unsigned long long>(entry.id.seq));
        mix_in(digest, id);
        entry.for_each_field([&](std::string_view f, std::string_view val) {
          mix_in(digest, f);
          mix_in(digest, val);
        });
        return true;
      });
      break;
    }
  }
  if (db.expire_of(&e) != kNoExpire) xor_in(digest, "!!expire!!");
}

Digest dataset_digest(Engine& engine) {
  Digest final_digest{};
  for (int i = 0; i < engine.db_count(); ++i) {
    Database& db = engine.db(i);
    if (db.size() == 0) continue;
    // The database's number goes in, so the same data in another one differs.
    mix_u32(final_digest, static_cast<uint32_t>(i));
    db.dict().for_each([&](Entry* e) {
      Digest kv{};
      mix_in(kv, e->key());
      mix_value_digest(kv, db, *e);
      xor_in(final_digest, as_view(kv));
    });
  }
  return final_digest;
}

std::string digest_hex(const Digest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(40);
  for (uint8_t b : d) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

}  // namespace kvd::commands
