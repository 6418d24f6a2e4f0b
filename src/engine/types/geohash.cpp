#include "kvd/engine/types/geohash.hpp"

#include <cmath>

namespace kvd::engine::geo {
namespace {

constexpr double kMercatorMax = 20037726.37;
constexpr double kDegToRad = M_PI / 180.0;

// Spreads the low 32 bits of v into the even bit positions.
uint64_t spread(uint32_t v) {
  uint64_t x = v;
  x = (x | (x << 16)) & 0x0000FFFF0000FFFFull;
  x = (x | (x << 8)) & 0x00FF00FF00FF00FFull;
  x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0Full;
  x = (x | (x << 2)) & 0x3333333333333333ull;
  x = (x | (x << 1)) & 0x5555555555555555ull;
  return x;
}

// Gathers the even bit positions back into 32 bits.
uint32_t squash(uint64_t x) {
  x &= 0x5555555555555555ull;
  x = (x | (x >> 1)) & 0x3333333333333333ull;
  x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0Full;
  x = (x | (x >> 4)) & 0x00FF00FF00FF00FFull;
  x = (x | (x >> 8)) & 0x0000FFFF0000FFFFull;
  x = (x | (x >> 16)) & 0x00000000FFFFFFFFull;
  return static_cast<uint32_t>(x);
}

uint64_t interleave(uint32_t lat_idx, uint32_t lon_idx) {
  return spread(lat_idx) | (spread(lon_idx) << 1);
}

double rad(double deg) {
  return deg * kDegToRad;
}
double deg(double r) {
  return r / kDegToRad;
}

int estimate_steps(double range_m, double lat) {
  if (range_m == 0) return kStepMax;
  int step = 1;
  while (range_m < kMercatorMax) {
    range_m *= 2;
    ++step;
  }
  step -= 2;  // keep the range inside the centre cell and its neighbours
  // Cells shrink east-west towards the poles.
  if (lat > 66 || lat < -66) {
    --step;
    if (lat > 80 || lat < -80) --step;
  }
  if (step < 1) step = 1;
  if (step > kStepMax) step = kStepMax;
  return step;
}

// Cell moved by (dlat, dlon) cells, wrapping around at the edges.
Cell moved(Cell c, int dlat, int dlon) {
  uint64_t mask = (uint64_t{1} << c.step) - 1;
  uint32_t lat = squash(c.bits), lon = squash(c.bits >> 1);
  lat = static_cast<uint32_t>((lat + static_cast<uint64_t>(static_cast<int64_t>(dlat))) & mask);
  lon = static_cast<uint32_t>((lon + static_cast<uint64_t>(static_cast<int64_t>(dlon))) & mask);
  return {interleave(lat, lon), c.step};
}

// [lon_min, lat_min, lon_max, lat_max] around the shape's centre.
void bounding_box(const Shape& s, double b[4]) {
  double h = s.conversion * (s.box ? s.height / 2 : s.radius);
  double w = s.conversion * (s.box ? s.width / 2 : s.radius);
  double lat_delta = deg(h / kEarthRadiusM);
  double lon_delta_top = deg(w / kEarthRadiusM / std::cos(rad(s.lat + lat_delta)));
  double lon_delta_bottom = deg(w / kEarthRadiusM / std::cos(rad(s.lat - lat_delta)));
  // The box is widest on the side nearer the equator.
  bool south = s.lat < 0;
  b[0] = s.lon - (south ? lon_delta_bottom : lon_delta_top);
  b[2] = s.lon + (south ? lon_delta_bottom : lon_delta_top);
  b[1] = s.lat - lat_delta;
  b[3] = s.lat + lat_delta;
}

}  // namespace

Cell encode(double lon, double lat, int step, double lat_min, double lat_max) {
  double lat_off = (lat - lat_min) / (lat_max - lat_min) * static_cast<double>(uint64_t{1} << step);
  double lon_off = (lon - kLonMin) / (kLonMax - kLonMin) * static_cast<double>(uint64_t{1} << step);
  return {interleave(static_cast<uint32_t>(lat_off), static_cast<uint32_t>(lon_off)), step};
}

Area decode(Cell c, double lat_min, double lat_max) {
  uint32_t lat = squash(c.bits), lon = squash(c.bits >> 1);
  double cells = static_cast<double>(uint64_t{1} << c.step);
  Area a;
  a.lat_min = lat_min + (lat / cells) * (lat_max - lat_min);
  a.lat_max = lat_min + ((lat + 1.0) / cells) * (lat_max - lat_min);
  a.lon_min = kLonMin + (lon / cells) * (kLonMax - kLonMin);
  a.lon_max = kLonMin + ((lon + 1.0) / cells) * (kLonMax - kLonMin);
  return a;
}

uint64_t score_of(double lon, double lat) {
  return encode(lon, lat, kStepMax).bits;
}

void point_of(uint64_t score, double* lon, double* lat) {
  Area a = decode({score, kStepMax});
  *lon = (a.lon_min + a.lon_max) / 2;
  *lat = (a.lat_min + a.lat_max) / 2;
  *lon = std::fmin(std::fmax(*lon, kLonMin), kLonMax);
  *lat = std::fmin(std::fmax(*lat, kLatMin), kLatMax);
}

double lat_distance(double lat1, double lat2) {
  return kEarthRadiusM * std::fabs(rad(lat2) - rad(lat1));
}

double distance(double lon1, double lat1, double lon2, double lat2) {
  double v = std::sin((rad(lon2) - rad(lon1)) / 2);
  // Same meridian: the plain latitude difference is exact and cheaper.
  if (v == 0.0) return lat_distance(lat1, lat2);
  double u = std::sin((rad(lat2) - rad(lat1)) / 2);
  double a = u * u + std::cos(rad(lat1)) * std::cos(rad(lat2)) * v * v;
  return 2.0 * kEarthRadiusM * std::asin(std::sqrt(a));
}

std::string hash_string(double lon, double lat) {
  static const char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  Cell c = encode(lon, lat, kStepMax, -90, 90);
  std::string s(11, '0');
  // 52 bits make ten 5-bit characters; the eleventh is always '0' as in Redis.
  for (int i = 0; i < 10; ++i) s[i] = kAlphabet[(c.bits >> (52 - (i + 1) * 5)) & 0x1f];
  return s;
}

bool within(const Shape& s, double lon, double lat, double* dist) {
  if (!s.box) {
    *dist = distance(s.lon, s.lat, lon, lat);
    return *dist <= s.radius * s.conversion;
  }
  if (lat_distance(lat, s.lat) > s.height * s.conversion / 2) return false;
  if (distance(lon, lat, s.lon, lat) > s.width * s.conversion / 2) return false;
  *dist = distance(s.lon, s.lat, lon, lat);
  return true;
}

SearchCells cells_for(const Shape& s) {
  double b[4];
  bounding_box(s, b);
  double radius_m =
      s.box ? std::sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2)) : s.radius;
  radius_m *= s.conversion;
  int step = estimate_steps(radius_m, s.lat);
  auto neighbours = [](Cell c, Cell out[9]) {
    out[0] = c;
    out[1] = moved(c, 1, 0);
    out[2] = moved(c, -1, 0);
    out[3] = moved(c, 0, 1);
    out[4] = moved(c, 0, -1);
    out[5] = moved(c, 1, 1);
    out[6] = moved(c, 1, -1);
    out[7] = moved(c, -1, 1);
    out[8] = moved(c, -1, -1);
  };
  SearchCells r;
  neighbours(encode(s.lon, s.lat, step), r.cells);
  // If the neighbours do not cover the box, use cells twice as big.
  Area n = decode(r.cells[1]), so = decode(r.cells[2]), e = decode(r.cells[3]),
       w = decode(r.cells[4]);
  bool too_small = n.lat_max < b[3] || so.lat_min > b[1] || e.lon_max < b[2] || w.lon_min > b[0];
  if (step > 1 && too_small) {
    --step;
    neighbours(encode(s.lon, s.lat, step), r.cells);
  }
  // Drop neighbours on sides where the centre cell already covers the box.
  if (step >= 2) {
    Area a = decode(r.cells[0]);
    auto drop = [&](int i) { r.cells[i] = Cell{}; };
    if (a.lat_min < b[1]) drop(2), drop(8), drop(7);
    if (a.lat_max > b[3]) drop(1), drop(5), drop(6);
    if (a.lon_min < b[0]) drop(4), drop(8), drop(6);
    if (a.lon_max > b[2]) drop(3), drop(7), drop(5);
  }
  return r;
}

void score_range(Cell c, uint64_t* min, uint64_t* max) {
  int shift = 52 - c.step * 2;
  *min = c.bits << shift;
  *max = (c.bits + 1) << shift;
}

}  // namespace kvd::engine::geo
