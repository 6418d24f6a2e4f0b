#pragma once

#include <cstdint>
#include <string>

// Geohash arithmetic for the GEO commands. Positions are stored as sorted set
// scores: 26 steps of latitude and longitude bits interleaved into 52 bits
// (latitude in the even bits), over Web Mercator's latitude limits, which is
// what Redis stores, so scores and replies match it.
namespace kvd::engine::geo {

inline constexpr double kLonMin = -180, kLonMax = 180;
inline constexpr double kLatMin = -85.05112878, kLatMax = 85.05112878;
inline constexpr int kStepMax = 26;
inline constexpr double kEarthRadiusM = 6372797.560856;

struct Cell {
  uint64_t bits = 0;
  int step = 0;
};

struct Area {
  double lon_min, lon_max, lat_min, lat_max;
};

// Cell of `step` bits per axis holding the point, within the given latitude
// range (kLatMin..kLatMax for scores, -90..90 for GEOHASH strings).
Cell encode(double lon, double lat, int step, double lat_min = kLatMin, double lat_max = kLatMax);
Area decode(Cell c, double lat_min = kLatMin, double lat_max = kLatMax);

// Score of a point (52-bit cell) and the point a score stands for (its cell's
// centre, clamped to the limits).
uint64_t score_of(double lon, double lat);
void point_of(uint64_t score, double* lon, double* lat);

// Haversine distance in meters, and the north-south part of it.
double distance(double lon1, double lat1, double lon2, double lat2);
double lat_distance(double lat1, double lat2);

// The 11-character standard geohash of a point (GEOHASH).
std::string hash_string(double lon, double lat);

// A search area: a circle (radius) or a box (width x height), in meters.
struct Shape {
  bool box = false;
  double lon = 0, lat = 0;
  double radius = 0, width = 0, height = 0;  // in `conversion` units
  double conversion = 1;                     // meters per unit
};

// True when the point is inside; *dist receives its distance from the centre.
bool within(const Shape& s, double lon, double lat, double* dist);

// The cells to scan for a shape: the centre cell and its 8 neighbours, with
// neighbours that cannot intersect the shape zeroed (bits == 0 and step == 0).
// Order: centre, N, S, E, W, NE, NW, SE, SW.
struct SearchCells {
  Cell cells[9];
};
SearchCells cells_for(const Shape& s);

// Score interval [min, max) covered by a cell.
void score_range(Cell c, uint64_t* min, uint64_t* max);

}  // namespace kvd::engine::geo
