#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "kvd/engine/types/geohash.hpp"
#include "support/engine_harness.hpp"
#include "support/fake_object.hpp"

// Expected replies were checked against redis-server 7.0.15.
namespace kvd::test {
namespace {

namespace geo = engine::geo;

void add_sicily(EngineHarness& h) {
  ASSERT_EQ(h.run({"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269",
                   "37.502669", "Catania"}),
            integer(2));
}

TEST(GeoHash, ScoresMatchRedis) {
  EXPECT_EQ(geo::score_of(13.361389, 38.115556), 3479099956230698ull);
  EXPECT_EQ(geo::score_of(15.087269, 37.502669), 3479447370796909ull);
  double lon, lat;
  geo::point_of(3479099956230698ull, &lon, &lat);
  EXPECT_NEAR(lon, 13.361389, 1e-5);
  EXPECT_NEAR(lat, 38.115556, 1e-5);
}

TEST(GeoHash, DistanceIsHaversine) {
  EXPECT_NEAR(geo::distance(13.361389, 38.115556, 15.087269, 37.502669), 166274.15, 1.0);
  EXPECT_EQ(geo::distance(1, 2, 1, 2), 0.0);
}

TEST(GeoHash, SearchCellsCoverTheCircle) {
  // Every point near the centre must fall in one of the cells returned.
  geo::Shape s;
  s.lon = 13.36;
  s.lat = 38.11;
  s.radius = 50;
  s.conversion = 1000;
  geo::SearchCells sc = geo::cells_for(s);
  for (double dlon = -0.5; dlon <= 0.5; dlon += 0.05) {
    for (double dlat = -0.4; dlat <= 0.4; dlat += 0.05) {
      double d;
      if (!geo::within(s, s.lon + dlon, s.lat + dlat, &d)) continue;
      uint64_t score = geo::score_of(s.lon + dlon, s.lat + dlat);
      bool found = false;
      for (const auto& c : sc.cells) {
        if (c.step == 0) continue;
        uint64_t lo, hi;
        geo::score_range(c, &lo, &hi);
        if (score >= lo && score < hi) found = true;
      }
      EXPECT_TRUE(found) << dlon << "," << dlat;
    }
  }
}

TEST(GeoCommands, AddPosDistHash) {
  EngineHarness h;
  add_sicily(h);
  EXPECT_EQ(h.run({"ZSCORE", "Sicily", "Palermo"}), bulk("3479099956230698"));
  EXPECT_EQ(h.run({"GEODIST", "Sicily", "Palermo", "Catania"}), bulk("166274.1516"));
  EXPECT_EQ(h.run({"GEODIST", "Sicily", "Palermo", "Catania", "km"}), bulk("166.2742"));
  EXPECT_EQ(h.run({"GEODIST", "Sicily", "Palermo", "nope"}), kNil);
  EXPECT_EQ(h.run({"GEOHASH", "Sicily", "Palermo", "Catania", "nope"}),
            array({bulk("sqc8b49rny0"), bulk("sqdtr74hyu0"), kNil}));
  EXPECT_EQ(
      h.run({"GEOPOS", "Sicily", "Palermo", "nope"}),
      array({array({bulk("13.36138933897018433"), bulk("38.11555639549629859")}), "*-1\r\n"}));
  EXPECT_EQ(h.run({"GEOADD", "Sicily", "200", "100", "x"}),
            error("ERR invalid longitude,latitude pair 200.000000,100.000000"));
  EXPECT_EQ(h.run({"GEOADD", "Sicily", "NX", "XX", "1", "2", "x"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"GEODIST", "Sicily", "Palermo", "Catania", "parsec"}),
            error("ERR unsupported unit provided. please use M, KM, FT, MI"));
}

TEST(GeoCommands, RadiusAndSearch) {
  EngineHarness h;
  add_sicily(h);
  EXPECT_EQ(h.run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD",
                   "WITHHASH", "ASC"}),
            array({array({bulk("Catania"), bulk("56.4413"), integer(3479447370796909),
                          array({bulk("15.08726745843887329"), bulk("37.50266842333162032")})}),
                   array({bulk("Palermo"), bulk("190.4424"), integer(3479099956230698),
                          array({bulk("13.36138933897018433"), bulk("38.11555639549629859")})})}));
  EXPECT_EQ(h.run({"GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km",
                   "ASC", "WITHDIST"}),
            array({array({bulk("Palermo"), bulk("0.0000")}),
                   array({bulk("Catania"), bulk("166.2742")})}));
  EXPECT_EQ(h.run({"GEORADIUS", "Sicily", "15", "37", "100", "km"}), array({bulk("Catania")}));
  EXPECT_EQ(h.run({"GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200",
                   "km", "STOREDIST"}),
            integer(2));
  EXPECT_EQ(h.run({"ZSCORE", "dst", "Catania"}), bulk("56.441257870158204"));
  EXPECT_EQ(h.run({"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "ASC", "WITHDIST"}),
            error("ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH"));
  EXPECT_EQ(h.run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY"}),
            error("ERR the ANY argument requires COUNT argument"));
  EXPECT_EQ(h.run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1"}),
            array({bulk("Catania")}));
  EXPECT_EQ(h.run({"GEORADIUS", "missing", "15", "37", "200", "km"}), "*0\r\n");
}

}  // namespace
}  // namespace kvd::test
