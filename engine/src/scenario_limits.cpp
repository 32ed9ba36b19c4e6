// Checks of the scenario loader that look at more than one key at a time: how many indicators
// and targets a file declares, how long a horizon the model can hold, and the model's rules
// across parameters (ModelInfo::constraints). Each returns problems with the place and key they
// belong to; scenario.cpp turns them into diagnostics with the rest.
#include "scenario_detail.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/engine/limits.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace canopy::engine::detail {

std::string number_text(double x) {
    if (std::isnan(x)) {
        return "nan";
    }
    if (std::isinf(x)) {
        return x > 0 ? "inf" : "-inf";
    }
    char buffer[64];
    if (std::floor(x) == x && std::fabs(x) < 1e15) {
        // Whole numbers as planners write them: "1000000", not "1e+06".
        const auto whole = std::to_chars(buffer, buffer + sizeof buffer, static_cast<long long>(x));
        return std::string(buffer, whole.ptr);
    }
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, x);
    return std::string(buffer, result.ptr);
}

std::optional<Problem> section_size_problem(const TomlNode& section, const std::string& name,
                                            std::size_t limit, const std::string& what) {
    if (section.entries.size() <= limit) {
        return std::nullopt;
    }
    const TomlNode& first_extra = section.entries[limit];
    return Problem{first_extra.key_pos, name + "." + first_extra.key,
                   "the scenario declares " + std::to_string(section.entries.size()) + " " + what +
                       "; at most " + std::to_string(limit) +
                       " are allowed (this is the first one past the limit)",
                   "at most " + std::to_string(limit) + " " + what +
                       " (docs/scenario-format.md, \"Limits\")"};
}

std::optional<Problem> horizon_problem(YearMonth start, YearMonth end, const ModelInfo& model,
                                       SourcePos end_pos) {
    const long months = static_cast<long>(end.index()) - start.index() + 1;
    const int allowed = std::clamp(model.max_horizon_months, 1, MAX_HORIZON_MONTHS);
    if (months <= allowed) {
        return std::nullopt;
    }
    const int last_index = start.index() + allowed - 1;
    const YearMonth last{last_index / 12, last_index % 12 + 1};
    return Problem{end_pos, "scenario.end",
                   "the run would last " + std::to_string(months) + " months (" + start.str() +
                       " to " + end.str() + "); model '" + model.name + "' holds at most " +
                       std::to_string(allowed) + " months: " + model.horizon_reason,
                   "an end month from " + start.str() + " to " + last.str()};
}

namespace {

// One parameter as a constraint sees it: its name, where it was set and what it can be.
struct Term {
    const ParameterSpec* spec = nullptr;
    const ParameterOrigin* origin = nullptr;
    double lo = 0.0; // smallest value a replicate can draw
    double hi = 0.0; // largest
    bool fixed = true;
    std::string described; // said instead of the setting, when not empty
};

std::string value_text(const Term& t) {
    if (!t.described.empty()) {
        return t.described;
    }
    return t.fixed ? number_text(t.hi)
                   : "from " + number_text(t.lo) + " to " + number_text(t.hi) + " (a distribution)";
}

std::string where(const Term& t, const std::vector<std::string>& files) {
    if (t.origin == nullptr || !t.origin->set) {
        return "the model's default";
    }
    const auto file = static_cast<std::size_t>(t.origin->pos.file);
    return (file < files.size() ? files[file] : std::string("<input>")) + ":" +
           std::to_string(std::max(1, t.origin->pos.line));
}

std::string listing(const std::vector<Term>& terms, const std::vector<std::string>& files) {
    std::string out;
    for (const Term& t : terms) {
        out += (out.empty() ? "" : "; ") + t.spec->name + " = " + value_text(t) +
               (t.origin != nullptr ? " at " + where(t, files) : std::string());
    }
    return out;
}

// A sum of decimal figures as they were written: 0.6 + 0.5 + 0.31 is 1.4100000000000004 in
// binary, which a message should say as 1.41 (12 significant digits; the terms keep theirs).
std::string sum_text(double x) {
    if (!std::isfinite(x)) {
        return number_text(x);
    }
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.12g", x);
    return buffer;
}

// Why the terms break the constraint, or empty.
std::string violation(const ParameterConstraint& c, const std::vector<Term>& terms,
                      std::string& allowed) {
    switch (c.kind) {
    case ParameterConstraint::Kind::sum_at_most: {
        double hi = 0.0;
        for (const Term& t : terms) {
            hi += t.hi;
        }
        allowed = "a sum of at most " + number_text(c.bound);
        if (!(hi <= c.bound + c.tolerance)) {
            const bool fixed =
                std::all_of(terms.begin(), terms.end(), [](const Term& t) { return t.fixed; });
            return std::string(fixed ? "sum to " : "can sum to ") + sum_text(hi) +
                   (fixed ? "" : " at their largest draws") + ", more than " + number_text(c.bound);
        }
        return {};
    }
    case ParameterConstraint::Kind::sum_equals: {
        double lo = 0.0;
        double hi = 0.0;
        for (const Term& t : terms) {
            lo += t.lo;
            hi += t.hi;
        }
        allowed = "a sum of exactly " + number_text(c.bound) + " in every replicate";
        if (lo == hi && !(std::fabs(hi - c.bound) <= c.tolerance)) {
            return "sum to " + sum_text(hi) + ", not " + number_text(c.bound);
        }
        if (lo != hi &&
            !(std::fabs(hi - c.bound) <= c.tolerance && std::fabs(lo - c.bound) <= c.tolerance)) {
            return "sum to anything from " + sum_text(lo) + " to " + sum_text(hi) +
                   " as their draws vary, not always " + number_text(c.bound);
        }
        return {};
    }
    case ParameterConstraint::Kind::ordered: {
        allowed = "each at most the next";
        for (std::size_t k = 1; k < terms.size(); ++k) {
            if (!(terms[k - 1].hi <= terms[k].lo)) {
                return "are out of order: " + terms[k - 1].spec->name + " (" +
                       value_text(terms[k - 1]) + ") can exceed " + terms[k].spec->name + " (" +
                       value_text(terms[k]) + ")";
            }
        }
        return {};
    }
    case ParameterConstraint::Kind::product_at_most: {
        double product = 1.0;
        for (const Term& t : terms) {
            product *= std::max(std::fabs(t.lo), std::fabs(t.hi));
        }
        allowed = (terms.size() == 1 ? "values up to " : "a product up to ") + number_text(c.bound);
        if (!(product <= c.bound)) {
            return (terms.size() == 1 ? "can reach " : "multiply to as much as ") +
                   number_text(product) + ", more than " + number_text(c.bound) +
                   " (the model's arithmetic would overflow or lose its meaning)";
        }
        return {};
    }
    case ParameterConstraint::Kind::positive: {
        // The margin is monotone in each parameter, so its least value over the box of draws
        // lies at a corner: the worst corner is where a replicate comes closest to breaking it.
        allowed = c.condition;
        std::vector<double> corner(terms.size());
        std::vector<double> worst;
        double least = std::numeric_limits<double>::infinity();
        for (std::size_t mask = 0; mask < (std::size_t{1} << terms.size()); ++mask) {
            for (std::size_t k = 0; k < terms.size(); ++k) {
                corner[k] = ((mask >> k) & 1U) != 0 ? terms[k].hi : terms[k].lo;
            }
            const double m = c.margin(corner);
            if (worst.empty() || !(m >= least)) { // a NaN margin breaks the rule too
                least = m;
                worst = corner;
            }
            if (std::isnan(m)) {
                break;
            }
        }
        if (least > 0.0) {
            return {};
        }
        const bool fixed =
            std::all_of(terms.begin(), terms.end(), [](const Term& t) { return t.fixed; });
        if (fixed) {
            return "breaks the rule " + c.condition;
        }
        std::string at;
        for (std::size_t k = 0; k < terms.size(); ++k) {
            at += (k == 0 ? "" : ", ") + terms[k].spec->name + " = " + number_text(worst[k]);
        }
        return "can break the rule " + c.condition + " where the draws reach " + at;
    }
    }
    return {};
}

} // namespace

std::vector<Problem> constraint_problems(const ModelInfo& model,
                                         const std::vector<ParameterSetting>& values,
                                         const std::vector<ParameterOrigin>& origins,
                                         const std::string& context,
                                         const std::vector<std::string>& files,
                                         const std::vector<std::string>& described) {
    std::vector<Problem> problems;
    for (std::size_t rule = 0; rule < model.constraints.size(); ++rule) {
        const ParameterConstraint& c = model.constraints[rule];
        std::vector<Term> terms;
        for (const std::string& name : c.parameters) {
            const int i = model.parameter_index(name);
            if (i < 0 || static_cast<std::size_t>(i) >= values.size()) {
                throw Error("model '" + model.name + "' has a constraint on '" + name +
                            "', which is not one of its parameters");
            }
            const auto k = static_cast<std::size_t>(i);
            Term t;
            t.spec = &model.parameters[k];
            t.origin = k < origins.size() ? &origins[k] : nullptr;
            t.lo = values[k].value.draw_min();
            t.hi = values[k].value.draw_max();
            t.fixed = values[k].value.kind == Uncertain::Kind::fixed;
            if (k < described.size()) {
                t.described = described[k];
            }
            terms.push_back(t);
        }
        if (terms.empty()) {
            continue;
        }
        if (c.kind == ParameterConstraint::Kind::positive &&
            (!c.margin || terms.size() > ParameterConstraint::MAX_POSITIVE_TERMS)) {
            throw Error("model '" + model.name + "' has a rule on " + c.what +
                        " without a margin function or over more than " +
                        std::to_string(ParameterConstraint::MAX_POSITIVE_TERMS) + " parameters");
        }
        std::string allowed;
        const std::string why = violation(c, terms, allowed);
        if (why.empty()) {
            continue;
        }
        // Reported at the last involved key of the outermost file that sets one (file 0 is
        // the one run, which extends the others: the file a planner is editing); a rule broken
        // by the model's defaults alone goes to the top of the file.
        const Term* at = nullptr;
        for (const Term& t : terms) {
            if (t.origin != nullptr && t.origin->set &&
                (at == nullptr || std::pair(-at->origin->pos.file, at->origin->pos.line) <
                                      std::pair(-t.origin->pos.file, t.origin->pos.line))) {
                at = &t;
            }
        }
        Problem p;
        p.pos = at != nullptr ? at->origin->pos : SourcePos{0, 1, 1};
        p.key = at != nullptr ? at->origin->key : "parameters." + terms.front().spec->name;
        p.message = (context.empty() ? "" : context + ": ") + c.what + " " + why + " (" +
                    listing(terms, files) + "); " + c.reason;
        p.allowed = allowed;
        p.rule = rule;
        problems.push_back(std::move(p));
    }
    return problems;
}

} // namespace canopy::engine::detail

namespace canopy::engine {

std::vector<std::string> constraint_violations(const ModelInfo& model,
                                               const std::vector<ParameterSetting>& parameters) {
    std::vector<std::string> out;
    for (const ConstraintBreach& b : constraint_breaches(model, parameters)) {
        out.push_back(b.message + " (allowed: " + b.allowed + ")");
    }
    return out;
}

std::vector<std::string> advisory_notes(const ModelInfo& model, const Scenario& scenario) {
    std::vector<ParameterSetting> at_means = scenario.parameters;
    if (const JointDraws* draws = scenario.joint_draws.get(); draws != nullptr) {
        double total = 0.0;
        for (const double w : draws->weights()) {
            total += w;
        }
        for (std::size_t c = 0; c < draws->columns().size(); ++c) {
            const JointDraws::Column& column = draws->columns()[c];
            const auto k = static_cast<std::size_t>(column.index);
            if (column.kind != JointDraws::Column::Kind::parameter || k >= at_means.size() ||
                !(total > 0.0)) {
                continue;
            }
            double mean = 0.0;
            for (std::size_t row = 0; row < draws->rows(); ++row) {
                mean += draws->weights()[row] / total * draws->value(row, c);
            }
            at_means[k].value = Uncertain::fixed(mean);
        }
    }
    return advisory_notes(model, at_means);
}

std::vector<std::string> advisory_notes(const ModelInfo& model,
                                        const std::vector<ParameterSetting>& parameters) {
    std::vector<std::string> notes;
    for (const ParameterAdvisory& a : model.advisories) {
        std::vector<double> means;
        std::string at;
        for (const std::string& name : a.parameters) {
            const int i = model.parameter_index(name);
            if (i < 0 || static_cast<std::size_t>(i) >= parameters.size() || !a.margin) {
                throw Error("model '" + model.name + "' has an advisory on '" + name +
                            "', which is not one of its parameters, or no margin");
            }
            means.push_back(parameters[static_cast<std::size_t>(i)].value.mean());
            // Whole numbers whole, others to four significant digits (a triangular prior's
            // mean is 416.6666666666667).
            const double v = means.back();
            char text[32];
            std::snprintf(text, sizeof text, "%.4g", v);
            at += (at.empty() ? "" : ", ") + name + " " +
                  (std::floor(v) == v && std::fabs(v) < 1e15 ? detail::number_text(v)
                                                             : std::string(text));
        }
        if (!(a.margin(means) > 0.0)) {
            notes.push_back(a.condition + " does not hold at the parameters' means (" + at +
                            "): " + a.consequence);
        }
    }
    return notes;
}

std::vector<ConstraintBreach> constraint_breaches(const ModelInfo& model,
                                                  const std::vector<ParameterSetting>& parameters,
                                                  const std::vector<std::string>& described) {
    std::vector<ConstraintBreach> out;
    for (detail::Problem& p :
         detail::constraint_problems(model, parameters, {}, "", {}, described)) {
        out.push_back({p.rule, std::move(p.message), std::move(p.allowed)});
    }
    return out;
}

} // namespace canopy::engine
