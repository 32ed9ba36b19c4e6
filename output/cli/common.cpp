// What the subcommands share: scenario lookup, diagnostics on stderr, seeds, validators.
#include "cli.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/experiments/calibration_result.hpp>
#include <canopy/experiments/posterior.hpp>

#include <fmt/format.h>

#include <cmath>
#include <iostream>

namespace canopy::cli {

namespace fs = std::filesystem;

fs::path resolve_scenario(const std::string& given) {
    const fs::path path(given);
    std::error_code ec;
    if (!path.empty() && path.is_relative() && !fs::exists(path, ec)) {
        const fs::path in_source = fs::path(CANOPY_SOURCE_DIR) / path;
        if (fs::exists(in_source, ec)) {
            return in_source;
        }
    }
    return path;
}

bool report(const engine::Diagnostics& diagnostics) {
    for (const engine::Diagnostic& d : diagnostics) {
        std::cerr << d.format() << "\n";
    }
    return diagnostics.has_errors();
}

std::string quoted(const std::string& s) {
    return "'" + s + "'";
}

bool parse_seed(const std::string& text, std::uint64_t& out) {
    if (text.empty() || text.size() > 20) {
        return false;
    }
    std::uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10) {
            return false;
        }
        value = value * 10 + digit;
    }
    out = value;
    return true;
}

CLI::Option* add_seed_option(CLI::App& app, std::string& text, const std::string& help) {
    return app.add_option("--seed,-s", text, help)
        ->check(CLI::Validator(
            [](std::string& value) -> std::string {
                std::uint64_t parsed = 0;
                return parse_seed(value, parsed) ? std::string()
                                                 : "must be a whole number from 0 to "
                                                   "18446744073709551615, got '" +
                                                       value + "'";
            },
            "SEED", "seed"));
}

const CLI::Validator NON_EMPTY(
    [](std::string& text) {
        return text.empty() ? std::string("must not be empty") : std::string();
    },
    "", "non-empty");

std::optional<engine::Scenario> with_posterior_of(const engine::Scenario& scenario,
                                                  const engine::ModelInfo& model,
                                                  const std::string& flag_path,
                                                  const std::string& command) {
    if (flag_path.empty() && !scenario.posterior) {
        return scenario;
    }
    // Where the posterior was named, for the message: the flag, or the scenario's key.
    std::string where = "--posterior";
    fs::path path = flag_path;
    std::vector<std::string> columns;
    if (scenario.posterior) {
        columns = scenario.posterior->parameters;
    }
    if (flag_path.empty()) {
        const engine::PosteriorReference& ref = *scenario.posterior;
        where = fmt::format("{}:{}:{}: scenario.posterior", ref.file, ref.line, ref.column);
        path = ref.path;
    }
    try {
        const experiments::CalibrationResult posterior = experiments::read_calibration_result(path);
        return experiments::with_posterior(scenario, model, posterior, path.generic_string(),
                                           columns);
    } catch (const Error& e) {
        std::cerr << where << ": error: " << e.what() << "\n"
                  << command << ": the posterior cannot be used; nothing was run or written\n";
        return std::nullopt;
    }
}

std::string range_text(double min, double max) {
    const auto end = [](double x) {
        return std::isinf(x) ? std::string(x < 0 ? "-inf" : "inf") : fmt::format("{}", x);
    };
    return "[" + end(min) + ", " + end(max) + "]";
}

} // namespace canopy::cli
