// Geo commands: GEOADD GEODIST GEOHASH GEOPOS GEORADIUS GEORADIUSBYMEMBER
// (+ _RO) GEOSEARCH GEOSEARCHSTORE. Positions are sorted set members whose
// score is the 52-bit geohash (see types/geohash.hpp), as in Redis.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/types/geohash.hpp"
#include "zset_common.hpp"

namespace kvd::commands {
namespace {

bool parse_lon_lat(CommandContext& ctx, std::string_view lon_s, std::string_view lat_s, double* lon,
                   double* lat) {
  if (!arg_double(ctx, lon_s, lon) || !arg_double(ctx, lat_s, lat)) return false;
  if (*lon < geo::kLonMin || *lon > geo::kLonMax || *lat < geo::kLatMin || *lat > geo::kLatMax) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "ERR invalid longitude,latitude pair %f,%f", *lon, *lat);
    ctx.out.error(buf);
    return false;
  }
  return true;
}

// Meters per unit, or -1 after replying the error.
double parse_unit(CommandContext& ctx, std::string_view u) {
  if (iequals(u, "m")) return 1;
  if (iequals(u, "km")) return 1000;
  if (iequals(u, "ft")) return 0.3048;
  if (iequals(u, "mi")) return 1609.34;
  ctx.out.error("ERR unsupported unit provided. please use M, KM, FT, MI");
  return -1;
}

bool parse_distance(CommandContext& ctx, std::string_view d, std::string_view unit, double* radius,
                    double* conversion) {
  if (!parse_double(d, radius)) {
    ctx.out.error("ERR need numeric radius");
    return false;
  }
  if (*radius < 0) {
    ctx.out.error("ERR radius cannot be negative");
    return false;
  }
  *conversion = parse_unit(ctx, unit);
  return *conversion >= 0;
}

bool parse_box(CommandContext& ctx, Args a, size_t i, geo::Shape* s) {
  if (!parse_double(a[i], &s->width)) {
    ctx.out.error("ERR need numeric width");
    return false;
  }
  if (!parse_double(a[i + 1], &s->height)) {
    ctx.out.error("ERR need numeric height");
    return false;
  }
  if (s->height < 0 || s->width < 0) {
    ctx.out.error("ERR height or width cannot be negative");
    return false;
  }
  s->conversion = parse_unit(ctx, a[i + 2]);
  return s->conversion >= 0;
}

bool member_point(ZSet* z, std::string_view member, double* lon, double* lat) {
  double score;
  if (!z || !z->score(member, &score)) return false;
  geo::point_of(static_cast<uint64_t>(score), lon, lat);
  return true;
}

// Coordinates as Redis prints them: "%.17Lf" with trailing zeros trimmed.
void reply_coord(CommandContext& ctx, double v) {
  std::string s = format_long_double(v);
  if (ctx.client.resp >= 3) {
    ctx.out.raw("," + s + "\r\n");
  } else {
    ctx.out.bulk(s);
  }
}

void reply_distance(CommandContext& ctx, double d) {
  char buf[128];
  int n = std::snprintf(buf, sizeof buf, "%.4f", d);
  ctx.out.bulk(std::string_view(buf, static_cast<size_t>(n)));
}

// ------------------------------------------------------------------ GEOADD

void cmd_geoadd(CommandContext& ctx) {
  bool nx = false, xx = false;
  size_t idx = 2;
  for (; idx < ctx.args.size(); ++idx) {
    std::string_view o = ctx.args[idx];
    if (iequals(o, "nx"))
      nx = true;
    else if (iequals(o, "xx"))
      xx = true;
    else if (!iequals(o, "ch"))
      break;
  }
  if ((ctx.args.size() - idx) % 3 || (xx && nx)) {
    ctx.out.error(err::kSyntax);
    return;
  }
  size_t elements = (ctx.args.size() - idx) / 3;
  // Rewritten as ZADD key [options] score member ...
  std::vector<std::string> scores(elements);
  std::vector<std::string_view> zargs(ctx.args.begin(),
                                      ctx.args.begin() + static_cast<ptrdiff_t>(idx));
  zargs[0] = "zadd";
  for (size_t i = 0; i < elements; ++i) {
    double lon, lat;
    if (!parse_lon_lat(ctx, ctx.args[idx + i * 3], ctx.args[idx + i * 3 + 1], &lon, &lat)) return;
    scores[i] = int_to_string(static_cast<int64_t>(geo::score_of(lon, lat)));
  }
  for (size_t i = 0; i < elements; ++i) {
    zargs.push_back(scores[i]);
    zargs.push_back(ctx.args[idx + i * 3 + 2]);
  }
  CommandContext sub{ctx.engine, ctx.client, Args(zargs.data(), zargs.size()),
                     ctx.out,    ctx.db,     ctx.now_ms};
  zadd_command(sub);
  ctx.dirty = sub.dirty;
}

// --------------------------------------------------- GEOPOS GEODIST GEOHASH

void cmd_geopos(CommandContext& ctx) {
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kZSet, &e)) return;
  ZSet* z = zset_of(e);
  ctx.out.array(static_cast<int64_t>(ctx.args.size() - 2));
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    double lon, lat;
    if (!member_point(z, ctx.args[j], &lon, &lat)) {
      ctx.out.null_array();
      continue;
    }
    ctx.out.array(2);
    reply_coord(ctx, lon);
    reply_coord(ctx, lat);
  }
}

void cmd_geodist(CommandContext& ctx) {
  double to_meter = 1;
  if (ctx.args.size() == 5) {
    to_meter = parse_unit(ctx, ctx.args[4]);
    if (to_meter < 0) return;
  } else if (ctx.args.size() > 5) {
    ctx.out.error(err::kSyntax);
    return;
  }
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kZSet, &e)) return;
  double lon1, lat1, lon2, lat2;
  ZSet* z = zset_of(e);
  if (!member_point(z, ctx.args[2], &lon1, &lat1) || !member_point(z, ctx.args[3], &lon2, &lat2)) {
    ctx.out.null();
    return;
  }
  reply_distance(ctx, geo::distance(lon1, lat1, lon2, lat2) / to_meter);
}

void cmd_geohash(CommandContext& ctx) {
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kZSet, &e)) return;
  ZSet* z = zset_of(e);
  ctx.out.array(static_cast<int64_t>(ctx.args.size() - 2));
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    double lon, lat;
    if (!member_point(z, ctx.args[j], &lon, &lat)) {
      ctx.out.null();
      continue;
    }
    ctx.out.bulk(geo::hash_string(lon, lat));
  }
}

// ------------------------------------------------- GEORADIUS / GEOSEARCH

enum SearchFlags : unsigned {
  kFromCoords = 1,    // GEORADIUS: lon lat radius unit
  kFromMember = 2,    // GEORADIUSBYMEMBER: member radius unit
  kNoStore = 4,       // the _RO variants
  kSearch = 8,        // GEOSEARCH syntax
  kSearchStore = 16,  // GEOSEARCHSTORE
};

struct GeoPoint {
  std::string member;
  double dist, score, lon, lat;
};

enum class Sort { kNone, kAsc, kDesc };

struct SearchOptions {
  bool withdist = false, withhash = false, withcoord = false, any = false, storedist = false;
  bool frommember = false, fromloc = false, byradius = false, bybox = false;
  Sort sort = Sort::kNone;
  int64_t count = 0;
  std::string_view storekey;
  bool store = false;
};

// Visits the members inside the shape, cell by cell as Redis does, stopping
// early once `limit` were found (ANY).
void collect_points(ZSet* z, const geo::Shape& shape, size_t limit, std::vector<GeoPoint>* out) {
  geo::SearchCells sc = geo::cells_for(shape);
  int last = -1;
  for (int i = 0; i < 9; ++i) {
    const geo::Cell& c = sc.cells[i];
    if (c.bits == 0 && c.step == 0) continue;
    if (last >= 0 && c.bits == sc.cells[last].bits && c.step == sc.cells[last].step) continue;
    if (limit && out->size() >= limit) break;
    last = i;
    uint64_t min, max;
    geo::score_range(c, &min, &max);
    ScoreRange r{static_cast<double>(min), static_cast<double>(max), false, true};
    size_t lo = z->score_lower(r), hi = z->score_upper(r);
    if (hi <= lo) continue;
    bool stop = false;
    z->for_range(lo, hi - lo, false, [&](std::string_view m, double s) {
      if (stop) return;
      double lon, lat, dist;
      geo::point_of(static_cast<uint64_t>(s), &lon, &lat);
      if (geo::within(shape, lon, lat, &dist)) {
        out->push_back({std::string(m), dist, s, lon, lat});
      }
      if (limit && out->size() >= limit) stop = true;
    });
  }
}

bool parse_search_options(CommandContext& ctx, size_t base, unsigned flags, ZSet* z,
                          geo::Shape* shape, SearchOptions* o) {
  Args a = ctx.args;
  size_t remaining = a.size() > base ? a.size() - base : 0;
  for (size_t i = 0; i < remaining; ++i) {
    std::string_view arg = a[base + i];
    if (iequals(arg, "withdist")) {
      o->withdist = true;
    } else if (iequals(arg, "withhash")) {
      o->withhash = true;
    } else if (iequals(arg, "withcoord")) {
      o->withcoord = true;
    } else if (iequals(arg, "any")) {
      o->any = true;
    } else if (iequals(arg, "asc")) {
      o->sort = Sort::kAsc;
    } else if (iequals(arg, "desc")) {
      o->sort = Sort::kDesc;
    } else if (iequals(arg, "count") && i + 1 < remaining) {
      if (!arg_int64(ctx, a[base + i + 1], &o->count)) return false;
      if (o->count <= 0) {
        ctx.out.error("ERR COUNT must be > 0");
        return false;
      }
      ++i;
    } else if ((iequals(arg, "store") || iequals(arg, "storedist")) && i + 1 < remaining &&
               !(flags & kNoStore) && !(flags & kSearch)) {
      o->storekey = a[base + i + 1];
      o->store = true;
      o->storedist = iequals(arg, "storedist");
      ++i;
    } else if (iequals(arg, "storedist") && (flags & kSearch) && (flags & kSearchStore)) {
      o->storedist = true;
    } else if (iequals(arg, "frommember") && i + 1 < remaining && (flags & kSearch) &&
               !o->fromloc) {
      if (z && !member_point(z, a[base + i + 1], &shape->lon, &shape->lat)) {
        ctx.out.error("ERR could not decode requested zset member");
        return false;
      }
      o->frommember = true;
      ++i;
    } else if (iequals(arg, "fromlonlat") && i + 2 < remaining && (flags & kSearch) &&
               !o->frommember) {
      if (!parse_lon_lat(ctx, a[base + i + 1], a[base + i + 2], &shape->lon, &shape->lat))
        return false;
      o->fromloc = true;
      i += 2;
    } else if (iequals(arg, "byradius") && i + 2 < remaining && (flags & kSearch) && !o->bybox) {
      if (!parse_distance(ctx, a[base + i + 1], a[base + i + 2], &shape->radius,
                          &shape->conversion))
        return false;
      shape->box = false;
      o->byradius = true;
      i += 2;
    } else if (iequals(arg, "bybox") && i + 3 < remaining && (flags & kSearch) && !o->byradius) {
      if (!parse_box(ctx, a, base + i + 1, shape)) return false;
      shape->box = true;
      o->bybox = true;
      i += 3;
    } else {
      ctx.out.error(err::kSyntax);
      return false;
    }
  }
  if (o->store && (o->withdist || o->withhash || o->withcoord)) {
    ctx.out.error(std::string("ERR ") +
                  ((flags & kSearchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS") +
                  " is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
    return false;
  }
  if ((flags & kSearch) && !(o->frommember || o->fromloc)) {
    ctx.out.error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " +
                  std::string(ctx.args[0]));
    return false;
  }
  if ((flags & kSearch) && !(o->byradius || o->bybox)) {
    ctx.out.error("ERR exactly one of BYRADIUS and BYBOX can be specified for " +
                  std::string(ctx.args[0]));
    return false;
  }
  if (o->any && !o->count) {
    ctx.out.error("ERR the ANY argument requires COUNT argument");
    return false;
  }
  return true;
}

void store_points(CommandContext& ctx, const SearchOptions& o, unsigned flags,
                  std::vector<GeoPoint>& pts, size_t n, double conversion) {
  std::string_view dst = o.storekey;
  if (n == 0) {
    ctx.out.integer(0);
    if (lookup_write(ctx, dst) && ctx.db.remove(dst)) {
      ctx.engine.signal_modified_key(ctx.db.id(), dst);
      ctx.engine.notify_keyspace_event('g', "del", dst, ctx.db.id());
    } else {
      ctx.dirty = 0;
    }
    return;
  }
  auto* z = new ZSet;
  ZSet::Limits lim = zset_limits(ctx);
  if (n > lim.max_entries) z->convert_to_skiplist();
  for (size_t i = 0; i < n; ++i) {
    bool added;
    z->set(pts[i].member, o.storedist ? pts[i].dist / conversion : pts[i].score, lim, &added);
  }
  ctx.db.set(dst, Value::from_object(z));
  ctx.engine.signal_modified_key(ctx.db.id(), dst);
  ctx.engine.notify_keyspace_event('z', (flags & kSearch) ? "geosearchstore" : "georadiusstore",
                                   dst, ctx.db.id());
  ctx.engine.signal_key_ready(ctx.db.id(), dst);
  ctx.dirty = static_cast<int64_t>(n);
  ctx.out.integer(static_cast<int64_t>(n));
}

void search_generic(CommandContext& ctx, size_t src_idx, unsigned flags) {
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[src_idx], ValueType::kZSet, &e)) return;
  ZSet* z = zset_of(e);
  geo::Shape shape;
  size_t base;
  SearchOptions o;
  if (flags & kFromCoords) {
    base = 6;
    if (!parse_lon_lat(ctx, ctx.args[2], ctx.args[3], &shape.lon, &shape.lat)) return;
    if (!parse_distance(ctx, ctx.args[4], ctx.args[5], &shape.radius, &shape.conversion)) return;
  } else if (flags & kFromMember) {
    base = 5;
    if (z) {
      if (!member_point(z, ctx.args[2], &shape.lon, &shape.lat)) {
        ctx.out.error("ERR could not decode requested zset member");
        return;
      }
      if (!parse_distance(ctx, ctx.args[3], ctx.args[4], &shape.radius, &shape.conversion)) return;
    }
  } else {
    base = (flags & kSearchStore) ? 3 : 2;
    if (flags & kSearchStore) {
      o.storekey = ctx.args[1];
      o.store = true;
    }
  }
  if (!parse_search_options(ctx, base, flags, z, &shape, &o)) return;
  if (!z) {
    if (o.store) {
      std::vector<GeoPoint> none;
      store_points(ctx, o, flags, none, 0, 1);
    } else {
      ctx.out.array(0);
    }
    return;
  }
  if (o.count != 0 && o.sort == Sort::kNone && !o.any) o.sort = Sort::kAsc;
  std::vector<GeoPoint> pts;
  collect_points(z, shape, o.any ? static_cast<size_t>(o.count) : 0, &pts);
  size_t n = pts.size();
  if (o.count != 0 && static_cast<uint64_t>(o.count) < n) n = static_cast<size_t>(o.count);
  if (o.sort != Sort::kNone) {
    auto cmp = [&](const GeoPoint& x, const GeoPoint& y) {
      return o.sort == Sort::kAsc ? x.dist < y.dist : x.dist > y.dist;
    };
    if (n == pts.size()) {
      std::sort(pts.begin(), pts.end(), cmp);
    } else {
      std::partial_sort(pts.begin(), pts.begin() + static_cast<ptrdiff_t>(n), pts.end(), cmp);
    }
  }
  if (o.store) {
    store_points(ctx, o, flags, pts, n, shape.conversion);
    return;
  }
  int options = (o.withdist ? 1 : 0) + (o.withhash ? 1 : 0) + (o.withcoord ? 1 : 0);
  ctx.out.array(static_cast<int64_t>(n));
  for (size_t i = 0; i < n; ++i) {
    const GeoPoint& p = pts[i];
    if (options) ctx.out.array(options + 1);
    ctx.out.bulk(p.member);
    if (o.withdist) reply_distance(ctx, p.dist / shape.conversion);
    if (o.withhash) ctx.out.integer(static_cast<int64_t>(p.score));
    if (o.withcoord) {
      ctx.out.array(2);
      reply_coord(ctx, p.lon);
      reply_coord(ctx, p.lat);
    }
  }
}

void cmd_georadius(CommandContext& ctx) {
  search_generic(ctx, 1, kFromCoords);
}
void cmd_georadius_ro(CommandContext& ctx) {
  search_generic(ctx, 1, kFromCoords | kNoStore);
}
void cmd_georadiusbymember(CommandContext& ctx) {
  search_generic(ctx, 1, kFromMember);
}
void cmd_georadiusbymember_ro(CommandContext& ctx) {
  search_generic(ctx, 1, kFromMember | kNoStore);
}
void cmd_geosearch(CommandContext& ctx) {
  search_generic(ctx, 1, kSearch);
}
void cmd_geosearchstore(CommandContext& ctx) {
  search_generic(ctx, 2, kSearch | kSearchStore);
}

// GEORADIUS key ... [STORE k] [STOREDIST k]: the source plus the store keys.
std::vector<int> georadius_keys(Args args) {
  std::vector<int> keys{1};
  for (size_t i = 2; i + 1 < args.size(); ++i) {
    if (iequals(args[i], "store") || iequals(args[i], "storedist")) {
      keys.push_back(static_cast<int>(i + 1));
      ++i;
    }
  }
  return keys;
}

}  // namespace

void register_geo_commands(CommandTable& t) {
  Family f(t, "geo");
  f.add("geoadd", -5, kWrite | kDenyOom, kKey1, cmd_geoadd);
  f.add("geodist", -4, kReadonly, kKey1, cmd_geodist);
  f.add("geohash", -2, kReadonly, kKey1, cmd_geohash);
  f.add("geopos", -2, kReadonly, kKey1, cmd_geopos);
  f.add("georadius", -6, kWrite | kDenyOom | kMovableKeys, kKey1, cmd_georadius,
        {.find_keys = georadius_keys});
  f.add("georadius_ro", -6, kReadonly, kKey1, cmd_georadius_ro);
  f.add("georadiusbymember", -5, kWrite | kDenyOom | kMovableKeys, kKey1, cmd_georadiusbymember,
        {.find_keys = georadius_keys});
  f.add("georadiusbymember_ro", -5, kReadonly, kKey1, cmd_georadiusbymember_ro);
  f.add("geosearch", -7, kReadonly, kKey1, cmd_geosearch);
  f.add("geosearchstore", -8, kWrite | kDenyOom, {1, 2, 1}, cmd_geosearchstore);
}

}  // namespace kvd::commands
