#pragma once
/// \file distribution_syntax.hpp
/// How scenario, sweep and calibration files write a distribution: its name and its fields.
/// One table, so that every file accepts the same words and its messages list them in the same
/// order.

#include <canopy/engine/uncertain.hpp>

#include <string>
#include <vector>

namespace canopy::engine {

/// One distribution as a file writes it, e.g. `distribution = "normal"`, `mean = ...`, `sd = ...`.
struct DistributionSyntax {
    Uncertain::Kind kind;
    const char* name; ///< as to_string(kind)
    /// Its fields in the order of Uncertain's a, b; triangular is written (low, mode, high), as
    /// planners write it, while Uncertain stores a = low, b = high, c = mode.
    std::vector<std::string> fields;
};

/// Every distribution a file may name: uniform, normal, lognormal, beta, gamma, triangular.
const std::vector<DistributionSyntax>& distribution_syntaxes();

/// Their names, in that order, for the "allowed" part of a diagnostic.
std::vector<std::string> distribution_names();

/// Every field any of them takes, each once, in the order they first appear.
std::vector<std::string> distribution_fields();

} // namespace canopy::engine
