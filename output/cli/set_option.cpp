// `--set NAME=VALUE`: overrides from the command line, validated like a file (the allowed range,
// "did you mean"), for every command that runs a scenario.
#include "cli.hpp"

#include <canopy/output/summary.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <span>

namespace canopy::cli {

CLI::Option* add_set_option(CLI::App& app, std::vector<std::string>& texts) {
    return app
        .add_option("--set", texts,
                    "Override a parameter, baseline figure or lever: NAME=VALUE (a lever from the "
                    "scenario's policy_start on), or LEVER*=FACTOR to scale a lever's schedule; "
                    "repeatable")
        ->take_all()
        ->allow_extra_args(false)
        ->check(NON_EMPTY);
}

std::optional<std::vector<experiments::Override>>
parse_set_options(const std::vector<std::string>& texts, const engine::Scenario& scenario,
                  const engine::ModelInfo& model, const std::vector<std::string>& mixes,
                  const std::string& command) {
    engine::Diagnostics diagnostics;
    std::vector<experiments::Override> overrides;
    for (const std::string& text : texts) {
        std::optional<experiments::Override> o =
            experiments::parse_set(text, model, diagnostics, &scenario);
        if (!o) {
            continue;
        }
        // Only the last of two settings of one name would act (set or scaled alike), while the
        // header listed both: most likely a slip.
        const auto same = std::find_if(overrides.begin(), overrides.end(),
                                       [&](const experiments::Override& earlier) {
                                           return earlier.target.kind == o->target.kind &&
                                                  earlier.target.index == o->target.index;
                                       });
        if (same != overrides.end()) {
            engine::Diagnostic d;
            d.key = "--set";
            d.message = "'" + o->target.name + "' is set twice (" +
                        experiments::override_texts(std::span(&*same, 1)).front() + ", then " +
                        experiments::override_texts(std::span(&*o, 1)).front() +
                        "): only one could act";
            d.allowed = "each name once";
            diagnostics.add(std::move(d));
            continue;
        }
        bool ok = true;
        for (const std::string& mix : mixes) {
            if (mix.empty() || mix == output::BASE_MIX) {
                continue;
            }
            const engine::Scenario mixed = scenario.with_policy_mix(mix);
            ok = ok && experiments::check_value(o->target, o->value, model,
                                                {"", 0, 0, "--set (policy mix " + mix + ")"},
                                                diagnostics, &mixed);
        }
        if (ok) {
            overrides.push_back(*o);
        }
    }
    if (!diagnostics.has_errors()) {
        // The values are each in range; together they must keep the model's rules across
        // parameters (shares that sum to at most 1, ...), under every mix that will run.
        for (const std::string& mix : mixes) {
            const engine::Scenario changed = experiments::apply_overrides(
                scenario.with_policy_mix(mix == output::BASE_MIX ? "" : mix), overrides);
            for (const std::string& why :
                 engine::constraint_violations(model, changed.parameters)) {
                engine::Diagnostic d;
                d.key = "--set";
                d.message =
                    (mix.empty() || mix == output::BASE_MIX ? std::string()
                                                            : "under policy mix '" + mix + "': ") +
                    why;
                diagnostics.add(std::move(d));
            }
        }
    }
    // A flag's problem has no file: it is said after the command, as CLI11's flag problems are
    // (it read "error: --set: ..." where every other flag read "canopy run: error: ...").
    engine::Diagnostics said;
    for (engine::Diagnostic d : diagnostics) {
        if (d.file.empty() && d.line == 0) {
            d.file = command;
        }
        said.add(std::move(d));
    }
    if (report(said)) {
        return std::nullopt;
    }
    return overrides;
}

} // namespace canopy::cli
