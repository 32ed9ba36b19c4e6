#include <canopy/output/parse_messages.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>

namespace canopy::output {

namespace {

// A long double holds every 64-bit whole number exactly, so a seed's bound 18446744073709551615
// and the value one above it compare as they are.
std::optional<long double> number(const std::string& text) {
    char* end = nullptr;
    const long double x = std::strtold(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size()) {
        return std::nullopt;
    }
    return x;
}

// A bound as written by CLI11 ("100.000000"), in its shortest decimal form ("100").
std::string shortest(const std::string& bound) {
    const std::optional<long double> x = number(bound);
    if (!x || bound.find_first_not_of("-0123456789") == std::string::npos) {
        return bound; // not a number, or a whole number as written
    }
    char text[64];
    const auto [end, error] =
        std::to_chars(text, text + sizeof text, static_cast<double>(*x), std::chars_format::fixed);
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

std::string whole_number_text(std::string& text, const std::string& allowed) {
    const bool negative = !text.empty() && text[0] == '-';
    std::string digits = negative ? text.substr(1) : text;
    if (!digits.empty() &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        const std::size_t first = std::min(digits.find_first_not_of('0'), digits.size() - 1);
        digits.erase(0, first);
        text = (negative && digits != "0" ? "-" : "") + digits;
        return {};
    }
    const std::optional<long double> x = number(text);
    return "'" + text + "' is not " +
           (x && !std::isnan(*x) ? "a whole number in digits" : "a number") +
           " (allowed: " + allowed + ")";
}

std::string seed_problem(std::string& text) {
    const std::string max = std::to_string(std::numeric_limits<std::uint64_t>::max());
    std::string digits = text;
    if (const std::string p = whole_number_text(digits, "0 to " + max); !p.empty()) {
        return p;
    }
    std::uint64_t value = 0;
    if (!parse_seed(digits, value)) {
        return text + " is out of range (allowed: 0 to " + max + ", 2^64 - 1)";
    }
    text = std::to_string(value);
    return {};
}

std::string clearer_parse_message(const std::string& what) {
    const std::string value = ": Value ";
    const std::string in_range = " not in range ";
    const std::size_t at = what.find(value);
    const std::size_t range = what.find(in_range);
    if (at == std::string::npos || range == std::string::npos || range < at) {
        // "--interval: clopper not in {wilson,jeffreys}": the value and the choices.
        const std::size_t colon = what.find(": ");
        const std::size_t in_set = what.rfind(" not in {");
        if (what.starts_with("-") && colon != std::string::npos && in_set != std::string::npos &&
            in_set > colon && what.ends_with("}")) {
            std::string choices = what.substr(in_set + 9, what.size() - in_set - 10);
            for (std::size_t c = choices.find(','); c != std::string::npos;
                 c = choices.find(',', c + 2)) {
                choices.replace(c, 1, ", ");
            }
            return what.substr(0, colon) + ": '" + what.substr(colon + 2, in_set - colon - 2) +
                   "' is not one of the choices (allowed: " + choices + ")";
        }
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
    const std::optional<long double> x = number(v);
    if (!x || std::isnan(*x)) { // "nan" reads as a double but is no number any range allows
        return flag + ": '" + v + "' is not a number (allowed: " + allowed + ")";
    }
    const std::optional<long double> lo = number(lo_text);
    const std::optional<long double> hi = number(hi_text);
    if (lo && hi && *x >= *lo && *x <= *hi) {
        // In range as a number, so refused as a whole number.
        return flag + ": '" + v + "' is not a whole number in digits (allowed: " + allowed + ")";
    }
    return flag + ": " + v + " is out of range (allowed: " + allowed + ")";
}

} // namespace canopy::output
