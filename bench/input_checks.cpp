#include "input_checks.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

namespace canopy::bench {

namespace {

// A bound in its shortest decimal form: "2000000000", "0.5", never DBL_MAX's 309 digits (no
// bound here is that large).
std::string bound_text(double x) {
    char text[64];
    const auto [end, error] = std::to_chars(text, text + sizeof text, x, std::chars_format::fixed);
    return error == std::errc{} ? std::string(text, end) : std::to_string(x);
}

} // namespace

std::optional<double> finite_number(const std::string& text) {
    if (text.empty() || std::isspace(static_cast<unsigned char>(text.front())) != 0) {
        return std::nullopt;
    }
    char* end = nullptr;
    const double x = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(x)) {
        return std::nullopt;
    }
    return x;
}

CLI::Validator number_in(double lo, double hi) {
    const std::string range = bound_text(lo) + " to " + bound_text(hi);
    return {[lo, hi, range](std::string& text) -> std::string {
                const std::optional<double> x = finite_number(text);
                if (!x) {
                    // inf is a number out of range; nan, words and "" are not numbers
                    char* end = nullptr;
                    const double y = std::strtod(text.c_str(), &end);
                    if (!text.empty() && end == text.c_str() + text.size() && std::isinf(y)) {
                        return "Value " + text + " not in range " + range;
                    }
                    return "'" + text + "' is not a number (allowed: " + range + ")";
                }
                return *x >= lo && *x <= hi ? std::string()
                                            : "Value " + text + " not in range " + range;
            },
            "NUMBER in [" + bound_text(lo) + " - " + bound_text(hi) + "]"};
}

std::string beyond_problem(const std::string& text, double lo, bool open) {
    const std::optional<double> x = finite_number(text);
    if (x && (open ? *x > lo : *x >= lo)) {
        return {};
    }
    char* end = nullptr;
    const double y = std::strtod(text.c_str(), &end);
    const bool infinite = !text.empty() && end == text.c_str() + text.size() && std::isinf(y);
    return "'" + text + "' is not a " + (infinite ? "finite " : "") + "number " +
           (open ? "> " : ">= ") + bound_text(lo);
}

CLI::Validator number_at_least(double lo) {
    return {[lo](std::string& text) { return beyond_problem(text, lo, false); },
            "NUMBER >= " + bound_text(lo)};
}

CLI::Validator number_above(double lo) {
    return {[lo](std::string& text) { return beyond_problem(text, lo, true); },
            "NUMBER > " + bound_text(lo)};
}

CLI::Validator seed_number() {
    const std::string max = std::to_string(std::numeric_limits<std::uint64_t>::max());
    return {[max](std::string& text) -> std::string {
                std::uint64_t value = 0;
                const char* end = text.data() + text.size();
                const auto [at, error] = std::from_chars(text.data(), end, value);
                const bool digits =
                    !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
                if (!digits || error != std::errc{} || at != end) {
                    return "'" + text + "' is not a whole number in digits (allowed: 0 to " + max +
                           ")";
                }
                text = std::to_string(value); // "010" is ten, not CLI11's octal eight
                return {};
            },
            "UINT in [0 - " + max + "]"};
}

} // namespace canopy::bench
