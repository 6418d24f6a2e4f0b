#pragma once

// The text replies of LATENCY GRAPH and LATENCY DOCTOR, apart from the
// command family so the wording can be read (and tested) on its own.

#include <cstdint>
#include <string>

#include "kvd/engine/engine.hpp"
#include "kvd/engine/latency_monitor.hpp"

namespace kvd::commands {

// LATENCY GRAPH: a header ("<event> - high N ms, low N ms (all time high N
// ms)"), a rule of 80 dashes, then the samples as columns four rows high
// ('_', 'o', '#' for a third of a row each, '|' below a full one), scaled
// between the lowest and highest sample, and under each column, written
// downwards, how long ago it was ("12s", "3m", "2h", "1d"). More than 80
// samples continue in a second block.
std::string latency_graph(const engine::LatencyMonitor::Series& s, int64_t now_s);

// LATENCY DOCTOR: one line of figures per event class, then advice that
// follows from the classes seen and the configuration.
std::string latency_doctor_report(engine::Engine& e, int64_t now_s);

}  // namespace kvd::commands
