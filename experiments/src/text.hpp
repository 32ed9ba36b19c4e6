#pragma once
// Small text helpers shared by the experiments layer's translation units (not installed).

#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/model.hpp>

#include <string>
#include <vector>

namespace canopy::engine {
struct TomlValue;
} // namespace canopy::engine

namespace canopy::experiments::detail {

/// Shortest text that reads back as the same double ("0.1", "250", "1e-09", "inf", "nan").
std::string number_text(double x);

/// "[0, 1]", "[0, inf)", "(-inf, inf)".
std::string range_text(const engine::Range& r);

/// "a, b, c".
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

/// A TOML document's settings as text that only its values change: types, keys in file order,
/// exact numbers (floats in hex); positions, comments and spacing are left out.
void toml_canonical(const engine::TomlValue& v, std::string& out);

/// toml_canonical of the document `text` (its text itself when it is not TOML): what identifies
/// a sweep or calibration file's settings, so that a comment or a blank line is no change.
std::string toml_content(const std::string& text);

/// An error diagnostic at a place.
engine::Diagnostic error_at(const std::string& file, int line, int column, std::string key,
                            std::string message, std::string allowed = {}, std::string hint = {});

} // namespace canopy::experiments::detail
