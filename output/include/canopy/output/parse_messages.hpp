#pragma once
/// \file parse_messages.hpp
/// The command-line parser's (CLI11's) messages about a refused value, said more clearly; shared
/// by `canopy` and `canopy-bench`.

#include <cstdint>
#include <string>

namespace canopy::output {

/// CLI11 checks a value's range before converting it, so `-n abc` says "--replicates: Value abc
/// not in range 1 to 1000000", and `-n 2.5` (a whole-number option) the same; and a range of
/// doubles prints its bounds with six decimals ("100.000000 to 2000000000.000000"). Returns the
/// message `what` with a value that is not a number said so ("'abc' is not a number (allowed: 1
/// to 1000000)"), one that is a number in range but not whole said so, and the bounds in their
/// shortest form ("100 to 2000000000"). Any other message is returned as it is.
std::string clearer_parse_message(const std::string& what);

/// A seed as `--seed` takes it: a whole number in decimal digits from 0 to 18446744073709551615
/// ("010" is ten). False, and `out` untouched, for anything else ("-1", "0x10", "1e3", "").
bool parse_seed(const std::string& text, std::uint64_t& out);

/// A whole-number flag's text as the parser should read it: decimal digits with an optional
/// leading '-', leading zeros dropped ("010" is ten; CLI11 alone read it as octal eight, and
/// "0x10" as sixteen). Returns empty and rewrites `text` when it is such a number; otherwise the
/// problem, naming what is `allowed` ("1 to 1000000"): "'0x10' is not a whole number in digits
/// (allowed: ...)" for anything strtod reads as a number other than nan (1.5, 1e3, 0x10, +5,
/// inf), "'abc' is not a number (allowed: ...)" for the rest.
std::string whole_number_text(std::string& text, const std::string& allowed);

/// A `--seed` value's problem in the words of the other whole-number flags, empty when
/// parse_seed takes it (and `text` is then rewritten in plain decimal, "010" as "10"): "Value -3
/// not in range 0 to 18446744073709551615" for a whole number out of range, else
/// whole_number_text's.
std::string seed_problem(std::string& text);

} // namespace canopy::output
