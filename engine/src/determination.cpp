// Which indicators the inputs decide: re-keyed probes, then adaptive group testing
// (determination.hpp says why and how).
#include <canopy/engine/determination.hpp>
#include <canopy/engine/error.hpp>
#include <canopy/engine/parallel.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <functional>
#include <optional>

namespace canopy::engine {

namespace {

bool same(double a, double b, double tolerance) {
    if (std::isnan(a) || std::isnan(b)) {
        return std::isnan(a) && std::isnan(b);
    }
    return std::abs(a - b) <= tolerance * std::max(1.0, std::abs(a));
}

// One input of a run and how to move it: a parameter (or baseline figure) to another value, or a
// lever to another schedule.
struct Perturbation {
    bool lever = false;
    std::size_t index = 0;
    double value = 0.0;
    Schedule schedule = Schedule::constant(0.0);
    std::string name;
};

// The largest move of a parameter or a lever from zero, in its own unit.
constexpr double MAX_STEP_FROM_ZERO = 1.0;

std::optional<double> moved_value(double v, const ParameterSpec& spec) {
    const double width = spec.range.max - spec.range.min;
    double step = 0.0;
    if (spec.integer) {
        step = std::max(1.0, std::round(0.1 * std::abs(v)));
    } else if (v != 0.0) {
        step = 0.1 * std::abs(v);
    } else {
        // From zero there is no scale to take 10 % of, and a share of the range is no scale
        // either: 1 % of births_per_month's [0, 1e9] made a probe with 10 million newborns a
        // month (gigabytes, where the ensemble's runs took kilobytes). One unit (a firm a month,
        // 100m yuan: the parameter's own unit) moves whatever the parameter moves, as a lever's
        // shift from zero does; a narrow range (a share, a probability) keeps its 1 %.
        step =
            std::isfinite(width) ? std::min(MAX_STEP_FROM_ZERO, 0.01 * width) : MAX_STEP_FROM_ZERO;
    }
    if (!(step > 0.0)) {
        return std::nullopt;
    }
    if (v + step <= spec.range.max) {
        return v + step;
    }
    if (v - step >= spec.range.min) {
        return v - step;
    }
    return std::nullopt;
}

std::vector<double> schedule_values(const Schedule& s) {
    std::vector<double> values{s.initial()};
    for (const SchedulePoint& p : s.points()) {
        values.push_back(p.value);
    }
    return values;
}

// The schedule with every level (the initial one and each point's) replaced by f of it.
template <class F>
Schedule mapped(const Schedule& s, const F& f) {
    std::vector<SchedulePoint> points = s.points();
    for (SchedulePoint& p : points) {
        p.value = f(p.value);
    }
    switch (s.kind()) {
    case Schedule::Kind::constant:
        return Schedule::constant(f(s.initial()));
    case Schedule::Kind::step:
        return Schedule::step(f(s.initial()), points);
    case Schedule::Kind::ramp:
        return Schedule::ramp(points.at(0), points.at(1));
    case Schedule::Kind::piecewise_linear:
        return Schedule::piecewise_linear(points);
    }
    return s;
}

Schedule shifted(const Schedule& s, double delta) {
    return mapped(s, [delta](double v) { return v + delta; });
}

std::optional<Schedule> moved_schedule(const Schedule& s, const LeverSpec& spec) {
    const std::vector<double> values = schedule_values(s);
    // Whether every level moved by f stays in the lever's range.
    const auto fits = [&](const auto& f) {
        return std::all_of(values.begin(), values.end(),
                           [&](double v) { return spec.range.contains(f(v)); });
    };
    const bool any_nonzero =
        std::any_of(values.begin(), values.end(), [](double v) { return v != 0.0; });
    const bool any_zero =
        std::any_of(values.begin(), values.end(), [](double v) { return v == 0.0; });
    const double width = spec.range.max - spec.range.min;
    const double delta =
        std::isfinite(width) ? std::min(MAX_STEP_FROM_ZERO, 0.1 * width) : MAX_STEP_FROM_ZERO;
    if (any_nonzero && any_zero && delta > 0.0) {
        // Some levels 0, some not (a quota set to 0 from policy_start, a fund from nothing):
        // scaled, the zeros would stay zeros, and what they decide would look decided by
        // nothing. Each level is moved: the others by 10 %, the zeros by the step from zero.
        for (const double factor : {1.1, 0.9}) {
            const auto f = [factor, delta](double v) { return v == 0.0 ? v + delta : v * factor; };
            if (fits(f)) {
                return mapped(s, f);
            }
        }
    }
    if (any_nonzero) {
        for (const double factor : {1.1, 0.9}) {
            if (fits([factor](double v) { return v * factor; })) {
                return s.scaled(factor);
            }
        }
        return std::nullopt;
    }
    if (delta > 0.0 && fits([delta](double v) { return v + delta; })) {
        return shifted(s, delta);
    }
    return std::nullopt;
}

} // namespace

std::vector<Determination> determine_by_inputs(const Scenario& scenario, const ModelInfo& model,
                                               const IndicatorSet& indicators,
                                               std::span<const std::size_t> which,
                                               const Ensemble& ensemble, const RunReplicate& run,
                                               const DeterminationOptions& options) {
    if (ensemble.replicates() == 0) {
        throw Error("cannot check what decides the indicators of an empty ensemble");
    }
    for (const std::size_t i : which) {
        if (i >= indicators.size()) {
            throw Error("indicator position " + std::to_string(i) + " is out of range");
        }
    }
    const double tol = options.relative_tolerance;
    const auto finals = [&](const SeriesTable& table) {
        std::vector<double> row(indicators.size());
        indicators.finals(table, row);
        std::vector<double> out;
        out.reserve(which.size());
        for (const std::size_t i : which) {
            out.push_back(row[i]);
        }
        return out;
    };
    // The inputs replicate r ran with: its drawn parameter values, the scenario's levers.
    const auto inputs_of = [&](std::size_t r) {
        const RandomKey key{ensemble.seed,
                            ensemble.first_replicate + static_cast<std::uint32_t>(r)};
        RunInputs in = replicate_inputs(scenario, key, options.rk4_substeps);
        if (r < ensemble.parameters.size() &&
            ensemble.parameters[r].size() == in.parameters.size()) {
            in.parameters = ensemble.parameters[r];
        }
        return in;
    };

    // 1. Do re-keyed events move each indicator? (Probes run in parallel, combined in order.)
    // The ensemble's replicates are re-run with re-keyed events, one probe each at most. A small
    // ensemble is then extended by new replicates (those a larger ensemble would have run next,
    // with their own drawn inputs, posterior rows included), each run as the ensemble would run
    // it and re-keyed: a pair of runs per new replicate. Re-running the same few replicates in
    // further rounds sampled only the events: `canopy run -n 4` called a leader quota "set by
    // inputs" where the four posterior draws all left it binding whatever happened, and 8 in 40
    // replicates of the same run miss it.
    std::vector<Determination> out(which.size());
    std::vector<bool> decided(which.size(), true);
    const std::size_t n = ensemble.replicates();
    const auto wanted = static_cast<std::size_t>(std::max(0, options.min_runs));
    const std::size_t probes =
        std::max(std::min(n, static_cast<std::size_t>(std::max(1, options.probes))),
                 wanted > n ? wanted - n : 0);
    const std::size_t rekeyed = std::min(n, probes);
    const std::size_t fresh = (probes - rekeyed + 1) / 2;
    const auto fresh_key = [&](std::size_t m) {
        return RandomKey{ensemble.seed,
                         ensemble.first_replicate + static_cast<std::uint32_t>(n + m)};
    };
    std::vector<RunInputs> fresh_inputs;
    for (std::size_t m = 0; m < fresh; ++m) {
        fresh_inputs.push_back(replicate_inputs(scenario, fresh_key(m), options.rk4_substeps));
    }
    // Run k: k < rekeyed, replicate k re-keyed; then new replicate m as the ensemble would run
    // it (k = rekeyed + 2m) and re-keyed (k = rekeyed + 2m + 1).
    std::vector<std::vector<double>> probe_finals(rekeyed + 2 * fresh);
    const Executor executor(true);
    executor.for_each(probe_finals.size(), [&](std::size_t k) {
        if (k < rekeyed) {
            const RandomKey probe_key{ensemble.seed ^ PROBE_SEED_MIX,
                                      ensemble.first_replicate + static_cast<std::uint32_t>(k)};
            probe_finals[k] = finals(run(inputs_of(k), probe_key));
            return;
        }
        const std::size_t m = (k - rekeyed) / 2;
        const RandomKey key = fresh_key(m);
        probe_finals[k] = finals(run(
            fresh_inputs[m],
            (k - rekeyed) % 2 == 0 ? key : RandomKey{key.seed ^ PROBE_SEED_MIX, key.replicate}));
    });
    for (std::size_t k = 0; k < rekeyed; ++k) {
        const std::vector<double> original = finals(ensemble.runs[k]);
        for (std::size_t j = 0; j < which.size(); ++j) {
            decided[j] = decided[j] && same(original[j], probe_finals[k][j], tol);
        }
    }
    for (std::size_t m = 0; m < fresh; ++m) {
        const std::vector<double>& original = probe_finals[rekeyed + 2 * m];
        const std::vector<double>& probe = probe_finals[rekeyed + 2 * m + 1];
        for (std::size_t j = 0; j < which.size(); ++j) {
            decided[j] = decided[j] && same(original[j], probe[j], tol);
        }
    }
    if (std::none_of(decided.begin(), decided.end(), [](bool d) { return d; })) {
        return out;
    }

    // 2. Which inputs decide them: perturb groups of inputs of replicate 0 and split the groups
    // that move an undecided-by-dynamics indicator until single inputs remain.
    const RunInputs base = inputs_of(0);
    const RandomKey base_key{ensemble.seed, ensemble.first_replicate};
    const std::vector<double> base_finals = finals(ensemble.runs[0]);
    std::vector<Perturbation> items;
    for (std::size_t i = 0; i < base.parameters.size() && i < model.parameters.size(); ++i) {
        if (auto v = moved_value(base.parameters[i], model.parameters[i])) {
            Perturbation p;
            p.index = i;
            p.value = *v;
            p.name = model.parameters[i].name;
            items.push_back(std::move(p));
        }
    }
    for (std::size_t l = 0; l < base.levers.size() && l < model.levers.size(); ++l) {
        if (auto s = moved_schedule(base.levers[l], model.levers[l])) {
            Perturbation p;
            p.lever = true;
            p.index = l;
            p.schedule = *s;
            p.name = model.levers[l].name;
            items.push_back(std::move(p));
        }
    }
    // moved[j] for each indicator, or nothing when the perturbed run failed (why in `failure`,
    // when given).
    const auto test = [&](std::span<const std::size_t> group,
                          std::string* failure = nullptr) -> std::optional<std::vector<bool>> {
        RunInputs in = base;
        for (const std::size_t k : group) {
            const Perturbation& p = items[k];
            if (p.lever) {
                in.levers[p.index] = p.schedule;
            } else {
                in.parameters[p.index] = p.value;
            }
        }
        try {
            const std::vector<double> f = finals(run(in, base_key));
            std::vector<bool> moved(which.size());
            for (std::size_t j = 0; j < which.size(); ++j) {
                moved[j] = !same(base_finals[j], f[j], tol);
            }
            return moved;
        } catch (const std::exception& e) {
            if (failure != nullptr) {
                *failure = e.what();
            }
            return std::nullopt; // an input set the model refuses: look inside the group
        }
    };
    // Whether an input has the same value in every replicate (levers, fixed parameters), and
    // whether an indicator's final value differs between the ensemble's replicates.
    const auto same_in_all = [&](const Perturbation& p) {
        if (p.lever) {
            return true; // lever schedules are the scenario's, the same in every replicate
        }
        for (const std::vector<double>& row : ensemble.parameters) {
            if (p.index >= row.size() || row[p.index] != base.parameters[p.index]) {
                return false;
            }
        }
        for (const RunInputs& in : fresh_inputs) { // the new replicates' draws too
            if (p.index >= in.parameters.size() ||
                in.parameters[p.index] != base.parameters[p.index]) {
                return false;
            }
        }
        return true;
    };
    // Whether the final value differs between replicates: the ensemble's and the new ones.
    std::vector<bool> varies(which.size(), false);
    const auto compare_with_base = [&](const std::vector<double>& f) {
        for (std::size_t j = 0; j < which.size(); ++j) {
            varies[j] = varies[j] || !same(f[j], base_finals[j], tol);
        }
    };
    for (std::size_t r = 1; r < ensemble.replicates(); ++r) {
        compare_with_base(finals(ensemble.runs[r]));
    }
    for (std::size_t m = 0; m < fresh; ++m) {
        compare_with_base(probe_finals[rekeyed + 2 * m]);
    }
    // 2a. An indicator whose final value differs between replicates can be the inputs' only
    // through an input that differs between them (step 3 gives it back to the dynamics when
    // every input found has one value throughout). So the inputs that differ are moved first,
    // together: an indicator they leave unchanged has no decider among them (the premise of
    // the group tests: moving a group moves what any of its inputs moves alone), and is the
    // dynamics' whatever the search would find among the rest. One run instead of a search
    // (the default scenario's quota of leaders: 3 runs instead of 19).
    bool shortcut = false;
    for (std::size_t j = 0; j < which.size(); ++j) {
        shortcut = shortcut || (decided[j] && varies[j]);
    }
    if (shortcut) {
        std::vector<std::size_t> differing;
        for (std::size_t k = 0; k < items.size(); ++k) {
            if (!same_in_all(items[k])) {
                differing.push_back(k);
            }
        }
        const std::optional<std::vector<bool>> moved =
            differing.empty() ? std::optional<std::vector<bool>>(std::vector<bool>(which.size()))
                              : test(differing);
        if (moved) {
            for (std::size_t j = 0; j < which.size(); ++j) {
                if (decided[j] && varies[j] && !(*moved)[j]) {
                    decided[j] = false; // out[j] stays the dynamics'
                }
            }
        }
        if (std::none_of(decided.begin(), decided.end(), [](bool d) { return d; })) {
            return out;
        }
    }
    // (input, indicator) pairs found in a group: split while it moves an indicator; the halves
    // run in parallel and their finds are joined left then right, so the order is fixed. An
    // input whose run fails on its own was not probed: why goes in failures[k] (each input is
    // alone in one group at most, so no two threads write the same entry).
    std::vector<std::string> failures(items.size());
    using Found = std::vector<std::pair<std::size_t, std::size_t>>;
    std::function<Found(std::span<const std::size_t>, const std::vector<bool>&)> search =
        [&](std::span<const std::size_t> group, const std::vector<bool>& relevant) -> Found {
        if (group.empty()) {
            return {};
        }
        const std::optional<std::vector<bool>> moved =
            test(group, group.size() == 1 ? &failures[group[0]] : nullptr);
        std::vector<bool> next(which.size(), false);
        bool any = false;
        for (std::size_t j = 0; j < which.size(); ++j) {
            next[j] = relevant[j] && (!moved || (*moved)[j]);
            any = any || next[j];
        }
        if (!any || (group.size() == 1 && !moved)) {
            return {};
        }
        Found found;
        if (group.size() == 1) {
            for (std::size_t j = 0; j < which.size(); ++j) {
                if (next[j]) {
                    found.emplace_back(group[0], j);
                }
            }
            return found;
        }
        const std::size_t half = group.size() / 2;
        std::array<Found, 2> halves;
        executor.for_each(2, [&](std::size_t h) {
            halves[h] =
                h == 0 ? search(group.subspan(0, half), next) : search(group.subspan(half), next);
        });
        found = std::move(halves[0]);
        found.insert(found.end(), halves[1].begin(), halves[1].end());
        return found;
    };
    // Hinted inputs alone first, then the rest as one group (searched only if it moves anything).
    std::vector<std::size_t> hinted;
    std::vector<std::size_t> rest;
    for (std::size_t k = 0; k < items.size(); ++k) {
        const bool hint = std::find(options.hints.begin(), options.hints.end(), items[k].name) !=
                          options.hints.end();
        (hint ? hinted : rest).push_back(k);
    }
    std::vector<Found> finds(hinted.size() + 1);
    executor.for_each(finds.size(), [&](std::size_t h) {
        finds[h] = h < hinted.size() ? search(std::span<const std::size_t>(&hinted[h], 1), decided)
                                     : search(rest, decided);
    });
    std::vector<std::vector<std::size_t>> deciders(which.size());
    for (const Found& f : finds) {
        for (const auto& [k, j] : f) {
            deciders[j].push_back(k);
        }
    }
    // 3. A check over the whole ensemble: when every deciding input has the same value in every
    // replicate (levers, fixed parameters), so must the final value; a quota that binds in the
    // probed replicates but not in others is not a construction.
    std::vector<std::string> not_probed;
    for (std::size_t k = 0; k < items.size(); ++k) {
        if (!failures[k].empty()) {
            not_probed.push_back(items[k].name + " (its perturbed run failed: " + failures[k] +
                                 ")");
        }
    }
    for (std::size_t j = 0; j < which.size(); ++j) {
        out[j].by_inputs = decided[j];
        out[j].not_probed = not_probed;
        std::sort(deciders[j].begin(), deciders[j].end());
        for (const std::size_t k : deciders[j]) {
            out[j].inputs.push_back(items[k].name);
        }
        const bool fixed_inputs = std::all_of(deciders[j].begin(), deciders[j].end(),
                                              [&](std::size_t k) { return same_in_all(items[k]); });
        if (out[j].by_inputs && fixed_inputs && varies[j]) {
            out[j] = Determination{};
        }
    }
    return out;
}

} // namespace canopy::engine
