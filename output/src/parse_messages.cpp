#include <canopy/output/parse_messages.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>

namespace canopy::output {

namespace {

std::optional<double> number(const std::string& text) {
    char* end = nullptr;
    const double x = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size()) {
        return std::nullopt;
    }
    return x;
}

// A bound as written by CLI11 ("100.000000"), in its shortest decimal form ("100").
std::string shortest(const std::string& bound) {
    const std::optional<double> x = number(bound);
    if (!x) {
        return bound;
    }
    char text[64];
    const auto [end, error] = std::to_chars(text, text + sizeof text, *x, std::chars_format::fixed);
    return error == std::errc{} ? std::string(text, end) : bound;
}

} // namespace

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
        if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
            return false;
        }
        value = value * 10 + digit;
    }
    out = value;
    return true;
}

std::string clearer_parse_message(const std::string& what) {
    const std::string value = ": Value ";
    const std::string in_range = " not in range ";
    const std::size_t at = what.find(value);
    const std::size_t range = what.find(in_range);
    if (at == std::string::npos || range == std::string::npos || range < at) {
        return what;
    }
    const std::string flag = what.substr(0, at);
    const std::string v = what.substr(at + value.size(), range - at - value.size());
    const std::string bounds = what.substr(range + in_range.size()); // "1 to 1000000"
    const std::size_t to = bounds.find(" to ");
    const std::string lo_text = bounds.substr(0, to);
    const std::string hi_text = to == std::string::npos ? std::string() : bounds.substr(to + 4);
    const std::string allowed =
        to == std::string::npos ? bounds : shortest(lo_text) + " to " + shortest(hi_text);
    const std::optional<double> x = number(v);
    if (!x || std::isnan(*x)) { // "nan" reads as a double but is no number any range allows
        return flag + ": '" + v + "' is not a number (allowed: " + allowed + ")";
    }
    const std::optional<double> lo = number(lo_text);
    const std::optional<double> hi = number(hi_text);
    if (lo && hi && *x >= *lo && *x <= *hi) {
        // In range as a number, so refused as a whole number.
        return flag + ": '" + v + "' is not a whole number in digits (allowed: " + allowed + ")";
    }
    return flag + value + v + in_range + allowed; // a number out of range: CLI11's words
}

} // namespace canopy::output
