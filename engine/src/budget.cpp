// Lever costs step by step and by calendar year, in the scenario's currency.
#include <canopy/engine/budget.hpp>
#include <canopy/engine/ensemble.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/scenario.hpp>
#include <canopy/engine/simulation.hpp>

#include <algorithm>
#include <cmath>

namespace canopy::engine {

double Budget::factor(const std::string& unit) const noexcept {
    if (unit == currency) {
        return 1.0;
    }
    for (const auto& [name, per_unit] : conversions) {
        if (name == unit) {
            return per_unit;
        }
    }
    return std::numeric_limits<double>::quiet_NaN();
}

std::vector<int> budget_years(const Calendar& calendar) {
    std::vector<int> years;
    for (int s = 0; s < calendar.steps(); ++s) {
        const int year = calendar.month_of_step(s).year;
        if (years.empty() || years.back() != year) {
            years.push_back(year);
        }
    }
    // A last week that runs into January charges its days there.
    if (calendar.share_in_start_year(calendar.steps() - 1) < 1.0) {
        years.push_back(years.back() + 1);
    }
    return years;
}

void lever_step_costs(const Scenario& scenario, std::size_t lever, const Schedule& schedule,
                      const SeriesTable* run, std::span<double> out) {
    if (lever >= scenario.levers.size()) {
        throw Error("scenario '" + scenario.name + "' has no lever " + std::to_string(lever) +
                    " (it has " + std::to_string(scenario.levers.size()) + ")");
    }
    const Calendar& calendar = scenario.calendar;
    const int steps = calendar.steps();
    if (out.size() != static_cast<std::size_t>(steps)) {
        throw Error("lever costs of scenario '" + scenario.name + "' need " +
                    std::to_string(steps) + " steps, got room for " + std::to_string(out.size()));
    }
    const LeverSetting& l = scenario.levers[lever];
    const LeverCost& c = l.cost;
    const bool by_outcome = c.outcome_price != OutcomePrice::none;
    if (by_outcome) {
        if (run == nullptr || c.outcome_series < 0 || c.outcome_series >= run->series ||
            run->rows != steps + 1) {
            throw Error("lever costs of scenario '" + scenario.name + "': lever " +
                        std::to_string(lever) + " is priced per '" + c.outcome +
                        "', which needs the run's series table (" + std::to_string(steps + 1) +
                        " rows)");
        }
    }
    const double dt_years = calendar.dt_years();
    double previous = 0.0;
    for (int s = 0; s < steps; ++s) {
        const double value = schedule.at(calendar.months_at_start(s));
        double cost = value * dt_years * c.per_unit_year;
        if (s > 0 && value > previous) {
            cost += (value - previous) * c.per_unit_added;
        }
        cost *= c.to_currency;
        if (by_outcome) {
            // Row s + 1 holds the flows accrued during step s, at the level of step s.
            const double outcomes = run->at(s + 1, c.outcome_series);
            cost +=
                outcomes * (c.outcome_price == OutcomePrice::level ? value * c.level_to_currency
                                                                   : c.per_outcome * c.to_currency);
        }
        out[static_cast<std::size_t>(s)] = cost;
        previous = value;
    }
}

std::vector<double> lever_costs_by_year(const Scenario& scenario, std::span<const Schedule> levers,
                                        const SeriesTable* run) {
    if (levers.size() != scenario.levers.size()) {
        throw Error("lever costs of scenario '" + scenario.name + "' need " +
                    std::to_string(scenario.levers.size()) + " lever schedules, got " +
                    std::to_string(levers.size()));
    }
    const Calendar& calendar = scenario.calendar;
    const std::vector<int> years = budget_years(calendar);
    const std::size_t n_years = years.size();
    std::vector<double> out(scenario.levers.size() * n_years, 0.0);
    std::vector<double> steps(static_cast<std::size_t>(calendar.steps()));
    for (std::size_t l = 0; l < scenario.levers.size(); ++l) {
        if (!scenario.levers[l].cost.priced()) {
            continue;
        }
        lever_step_costs(scenario, l, levers[l], run, steps);
        std::size_t y = 0;
        for (int s = 0; s < calendar.steps(); ++s) {
            const int year = calendar.month_of_step(s).year;
            while (years[y] != year) {
                ++y;
            }
            const double cost = steps[static_cast<std::size_t>(s)];
            const double share = calendar.share_in_start_year(s);
            if (share == 1.0) {
                out[l * n_years + y] += cost;
            } else {
                // A week across New Year: its cost by days, as a year's budget counts them
                // (the next year is in `years`: the next step, or the run's end, is in it).
                out[l * n_years + y] += cost * share;
                out[l * n_years + y + 1] += cost * (1.0 - share);
            }
        }
    }
    return out;
}

std::vector<double> replicate_lever_costs_by_year(const Scenario& scenario, const RandomKey& key,
                                                  const SeriesTable* run) {
    return lever_costs_by_year(scenario, replicate_levers(scenario, key), run);
}

} // namespace canopy::engine
