// What the calibration methods share (calibration_common.hpp).
#include "calibration_common.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/experiments/build_id.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace canopy::experiments {

namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

std::string prior_text(const Prior& p) {
    const engine::Uncertain& u = p.distribution();
    std::string text = to_string(u.kind);
    const auto n = [](double x) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.6g", x);
        return std::string(buffer);
    };
    switch (u.kind) {
    case engine::Uncertain::Kind::uniform:
        return text + "(low " + n(u.a) + ", high " + n(u.b) + ")";
    case engine::Uncertain::Kind::normal:
        return text + "(mean " + n(u.a) + ", sd " + n(u.b) + ")";
    case engine::Uncertain::Kind::lognormal:
        return text + "(median " + n(u.a) + ", sigma " + n(u.b) + ")";
    case engine::Uncertain::Kind::beta:
        return text + "(alpha " + n(u.a) + ", beta " + n(u.b) + ")";
    case engine::Uncertain::Kind::gamma:
        return text + "(shape " + n(u.a) + ", scale " + n(u.b) + ")";
    case engine::Uncertain::Kind::triangular:
        return text + "(low " + n(u.a) + ", mode " + n(u.c) + ", high " + n(u.b) + ")";
    case engine::Uncertain::Kind::fixed:
        break;
    }
    return text;
}

} // namespace

double weighted_quantile(std::vector<std::pair<double, double>> vw, double q) {
    vw.erase(std::remove_if(vw.begin(), vw.end(),
                            [](const auto& p) { return std::isnan(p.first) || !(p.second > 0.0); }),
             vw.end());
    if (vw.empty()) {
        return NaN;
    }
    std::stable_sort(vw.begin(), vw.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    double total = 0.0;
    for (const auto& p : vw) {
        total += p.second;
    }
    // "Reaches" up to the rounding of the running sum: 200 weights of 0.005 add up to
    // 0.049999999999999996 at the 10th, and q05 was the 11th value (an outside check).
    const double target = q * total - 1e-12 * total;
    double running = 0.0;
    for (const auto& p : vw) {
        running += p.second;
        if (running >= target) {
            return p.first;
        }
    }
    return vw.back().first;
}

bool near_quantile(const std::vector<std::pair<double, double>>& vw, double p, double value) {
    double sum = 0.0;
    double sum_sq = 0.0;
    for (const auto& [v, w] : vw) {
        if (!std::isnan(v) && w > 0.0) {
            sum += w;
            sum_sq += w * w;
        }
    }
    if (!(sum_sq > 0.0)) {
        return false;
    }
    // The order statistics' normal approximation: the sample p quantile's rank has standard
    // deviation sqrt(n p (1 - p)), so its level sqrt(p (1 - p) / n).
    constexpr double Z95 = 1.959963984540054;
    const double ess = sum * sum / sum_sq;
    const double half = Z95 * std::sqrt(p * (1.0 - p) / ess);
    return weighted_quantile(vw, std::max(0.0, p - half)) <= value &&
           value <= weighted_quantile(vw, std::min(1.0, p + half));
}

void CalibrationResult::summarise() {
    const std::size_t d = parameters.size();
    const std::size_t n = weights.size();
    summaries.assign(d, ParameterSummary{});
    double sum = 0.0;
    double sum2 = 0.0;
    for (const double w : weights) {
        sum += w;
        sum2 += w * w;
    }
    ess = sum2 > 0.0 ? sum * sum / sum2 : 0.0;
    for (std::size_t j = 0; j < d; ++j) {
        std::vector<std::pair<double, double>> vw(n);
        double mean = 0.0;
        for (std::size_t k = 0; k < n; ++k) {
            vw[k] = {particle(k, j), weights[k]};
            mean += particle(k, j) * weights[k];
        }
        ParameterSummary& s = summaries[j];
        s.mean = sum > 0.0 ? mean / sum : NaN;
        s.median = weighted_quantile(vw, 0.5);
        s.q05 = weighted_quantile(vw, 0.05);
        s.q25 = weighted_quantile(vw, 0.25);
        s.q75 = weighted_quantile(vw, 0.75);
        s.q95 = weighted_quantile(vw, 0.95);
    }
}

namespace detail {

Experiment calibration_experiment(const Calibration& c, int replicates, bool common_random_numbers,
                                  const std::string& tag) {
    Experiment e;
    e.scenario = c.scenario;
    e.model = c.model;
    for (const FittedParameter& p : c.parameters) {
        e.factors.push_back(p.target);
    }
    e.replicates = replicates;
    e.seed = c.seed;
    e.common_random_numbers = common_random_numbers;
    // The journals' fingerprint: a stopping rule changed after the budget ran out keeps them.
    // The build last, in clear, so that a journal of another build is refused naming both.
    e.fingerprint =
        with_build(c.journal_fingerprint() + ":" + tag + ":" + std::to_string(replicates));
    return e;
}

std::vector<std::vector<double>> simulated_figures(const Calibration& c, const PointResult& r) {
    std::vector<std::vector<double>> out(r.replicates,
                                         std::vector<double>(c.observations.size(), NaN));
    std::vector<double> finals(r.indicators);
    for (std::uint32_t rep = 0; rep < r.replicates; ++rep) {
        for (std::uint32_t i = 0; i < r.indicators; ++i) {
            finals[i] = r.final_value(i, rep);
        }
        for (std::size_t k = 0; k < c.observations.size(); ++k) {
            out[rep][k] = c.observations[k].simulated(finals);
        }
    }
    return out;
}

double fitted_log_likelihood(const Calibration& c, const std::vector<double>& figures) {
    double total = 0.0;
    for (std::size_t k = 0; k < c.observations.size(); ++k) {
        if (c.observations[k].fitted) {
            total += log_likelihood(c.observations[k], figures[k]);
        }
    }
    return total;
}

CalibrationResult describe(const Calibration& c) {
    CalibrationResult r;
    r.method = to_string(c.method);
    r.name = c.name;
    r.model = c.scenario->model;
    r.scenario = c.scenario->name;
    r.scenario_start = c.scenario->calendar.start().str();
    r.calibration_text = c.text;
    r.scenario_text = c.scenario->text;
    r.data_file = c.data.path.generic_string();
    r.data_sha256 = c.data.sha256;
    r.engine_version = CANOPY_VERSION;
    r.build_id = build_id();
    r.fingerprint = c.fingerprint();
    r.seed = c.seed;
    r.fit_until = c.fit_until.value_or(0);
    for (const FittedParameter& p : c.parameters) {
        r.parameters.push_back(p.target.name);
        r.parameter_kinds.emplace_back(p.target.kind == TargetKind::lever      ? "lever_scale"
                                       : p.target.kind == TargetKind::baseline ? "baseline"
                                                                               : "parameter");
        r.parameter_units.push_back(p.unit);
        r.priors.push_back(prior_text(p.prior));
        r.lower.push_back(p.prior.lower());
        r.upper.push_back(p.prior.upper());
    }
    for (const std::string& s : c.unused_series) {
        r.notes.push_back("data series not used: '" + s + "'"); // quoted, as names are elsewhere
    }
    return r;
}

std::vector<FigureFit> figure_fits(const Calibration& c,
                                   const std::vector<std::vector<double>>& samples,
                                   const std::vector<double>& weights) {
    std::vector<FigureFit> out;
    for (std::size_t k = 0; k < c.observations.size(); ++k) {
        const Observation& o = c.observations[k];
        FigureFit f;
        f.observation = o.id;
        f.series = o.row.series;
        f.year = o.row.year;
        f.value = o.row.value;
        f.unit = o.row.unit;
        f.kind = o.kind_text();
        f.measure = to_string(o.measure);
        f.sd = o.sd;
        f.fitted = o.fitted;
        f.line = o.row.line;
        std::vector<std::pair<double, double>> vw(samples.size());
        for (std::size_t s = 0; s < samples.size(); ++s) {
            vw[s] = {samples[s][k], weights[s]};
        }
        f.median = weighted_quantile(vw, 0.5);
        f.q05 = weighted_quantile(vw, 0.05);
        f.q25 = weighted_quantile(vw, 0.25);
        f.q75 = weighted_quantile(vw, 0.75);
        f.q95 = weighted_quantile(vw, 0.95);
        if (o.lower_bound) {
            f.inside50 = f.q75 >= f.value;
            f.inside90 = f.q95 >= f.value;
        } else {
            f.inside50 = f.q25 <= f.value && f.value <= f.q75;
            f.inside90 = f.q05 <= f.value && f.value <= f.q95;
        }
        // Each end of the 90 % interval is a quantile of a few hundred runs (SMM's 200 draws,
        // ABC's last generation): the published figure near an end could be inside with one
        // seed and outside with the next. Within the end's 95 % Monte Carlo band the verdict
        // is not the data's but the draws'.
        f.edge90 = near_quantile(vw, 0.95, f.value) ||
                   (!o.lower_bound && near_quantile(vw, 0.05, f.value));
        out.push_back(std::move(f));
    }
    return out;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace detail

} // namespace canopy::experiments
