#pragma once
// canopy-bench's checks of what it is given, before it runs or prints anything: its numeric
// flags, where CLI11 alone lets "nan" through a range of doubles, takes "-1" as the seed
// 18446744073709551615 and prints DBL_MAX's 309 digits as a bound. Bad input exits 2 with one
// "canopy-bench: error:" line naming the flag and what is allowed; nothing is written to stdout.

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace canopy::bench {

/// `text` as a finite number (std::strtod's syntax, all of it read), or nothing: "", "1x",
/// " 1", "nan" and "inf" are not.
std::optional<double> finite_number(const std::string& text);

/// A finite number from `lo` to `hi`. Refusals: "'x' is not a number (allowed: 100 to
/// 2000000000)", "Value 10 not in range 100 to 2000000000" (the words canopy's own ranges use).
CLI::Validator number_in(double lo, double hi);

/// Why `text` is not a finite number >= `lo` (> `lo` when `open`), or "" when it is: "'-1' is
/// not a number >= 0", "'inf' is not a finite number >= 0".
std::string beyond_problem(const std::string& text, double lo, bool open);

/// A finite number >= `lo`: "'-1' is not a number >= 0".
CLI::Validator number_at_least(double lo);

/// A finite number > `lo`: "'0' is not a number > 0".
CLI::Validator number_above(double lo);

/// A seed: a whole number in digits from 0 to 18446744073709551615 ("'-1' is not a whole number
/// in digits (allowed: 0 to 18446744073709551615)"). Leading zeros are dropped, so that "010"
/// is ten (CLI11 would read it as octal).
CLI::Validator seed_number();

} // namespace canopy::bench
