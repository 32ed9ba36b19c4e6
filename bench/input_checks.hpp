#pragma once
// canopy-bench's checks of what it is given, before it runs or prints anything: its numeric
// flags, where CLI11 alone lets "nan" through a range of doubles, takes "-1" as the seed
// 18446744073709551615 and prints DBL_MAX's 309 digits as a bound; and the memory a command
// will need, estimated as `canopy run` estimates it; and the files it reads. Bad input exits 2 with
// one "canopy-bench: error:" line naming the flag and what is allowed; nothing is written to
// stdout.

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

namespace canopy::bench {

/// Bad input found after the flags were parsed (a file that does not load, a size too large for
/// the memory): main prints "canopy-bench: error: <what>" and exits 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

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

/// What a command is expected to need at its peak, for within_memory.
struct MemoryNeed {
    double bytes = 0.0;  ///< estimated peak bytes
    std::string subject; ///< "the reference model at --n 200000000, --steps 12"
    std::string detail;  ///< how the bytes were estimated: "218,000,000 firms at the end, ..."
    std::string advice;  ///< "use a smaller --n"
};

/// Runs `body` if `need` fits the memory this process may still use (the memory available,
/// engine::available_memory_bytes, or the room left under `ulimit -v`, whichever is lower; no
/// check when neither can be read), else throws UsageError before anything runs: "<subject>
/// would need about 21.6 GB (<detail>), more than the 3.1 GB of address space left under ulimit
/// -v; <advice>". An allocation that fails all the same (the estimate is only an estimate) is
/// rethrown as canopy::Error "memory ran out (std::bad_alloc): <subject> was estimated to need
/// about 261 MB (<detail>), within the 307 MB ... at the start; <advice>".
int within_memory(const MemoryNeed& need, const std::function<int()>& body);

} // namespace canopy::bench
