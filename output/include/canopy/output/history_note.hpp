#pragma once
/// \file history_note.hpp
/// The note `canopy run` and `canopy validate` print, and `canopy.run` warns, about targets read
/// before the scenario's policy_start: they measure the history, which no lever moves.

#include <canopy/engine/scenario.hpp>

#include <string>
#include <vector>

namespace canopy::output {

/// The last month indicator `id` of `indicators` reads (a flow's last month, a ratio's later
/// one): a target on it is settled once that month has run.
engine::YearMonth last_month_read(const std::vector<engine::IndicatorSpec>& indicators,
                                  const std::string& id, int depth = 0);

/// The targets of `scenario` read before its policy_start, one line each after a heading, or
/// empty: they measure the history, which no lever of the plan moves (a new region's inherited
/// targets, left in the year before its plan). `run` lists them under its table and `validate`
/// after its "ok"; `solve` refuses them; Python warns of them and lists them in `Run.notes`.
std::string history_targets_note(const engine::Scenario& scenario);

} // namespace canopy::output
