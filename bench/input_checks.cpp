#include "input_checks.hpp"

#include <canopy/engine/error.hpp>
#include <canopy/engine/resources.hpp>
#include <canopy/output/parse_messages.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <new>
#include <sys/resource.h>
#include <unistd.h>
#include <utility>

namespace canopy::bench {

namespace {

// A bound in its shortest decimal form: "2000000000", "0.5", never DBL_MAX's 309 digits (no
// bound here is that large).
std::string bound_text(double x) {
    char text[64];
    const auto [end, error] = std::to_chars(text, text + sizeof text, x, std::chars_format::fixed);
    return error == std::errc{} ? std::string(text, end) : std::to_string(x);
}

// The room left under RLIMIT_AS (`ulimit -v`): the limit less the address space this process
// has mapped already; negative when there is no limit or it cannot be read.
double address_space_left() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
        return -1.0;
    }
    std::ifstream statm("/proc/self/statm");
    double pages = 0.0; // the first field: the whole virtual size, in pages
    if (!(statm >> pages)) {
        return -1.0;
    }
    const double used = pages * static_cast<double>(::sysconf(_SC_PAGESIZE));
    return std::max(0.0, static_cast<double>(limit.rlim_cur) - used);
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
    // "010" is ten, not CLI11's octal eight; the words are canopy's (output::seed_problem).
    return {[](std::string& text) -> std::string { return output::seed_problem(text); },
            "UINT in [0 - " + max + "]"};
}

namespace {

// The memory this process may still use and its description ("of memory available"), or a
// limit of 0 when neither can be read.
std::pair<double, std::string> memory_limit() {
    double limit = static_cast<double>(engine::available_memory_bytes());
    std::string what = "of memory available";
    const double room = address_space_left();
    if (room >= 0.0 && (limit <= 0.0 || room < limit)) {
        limit = room;
        what = "of address space left under ulimit -v";
    }
    return {limit, what};
}

} // namespace

int within_memory(const MemoryNeed& need, const std::function<int()>& body) {
    const auto [limit, what] = memory_limit();
    const std::string limit_text = engine::bytes_text(limit) + " " + what;
    if (limit > 0.0 && need.bytes > limit) {
        throw UsageError(need.subject + " would need about " + engine::bytes_text(need.bytes) +
                         " (" + need.detail + "), more than the " + limit_text + "; " +
                         need.advice);
    }
    const auto ran_out = [&](const std::string& why) {
        return Error("memory ran out (" + why + "): " + need.subject +
                     " was estimated to need about " + engine::bytes_text(need.bytes) + " (" +
                     need.detail + ")" +
                     (limit > 0.0 ? ", within the " + limit_text + " at the start" : "") + "; " +
                     need.advice);
    };
    try {
        return body();
    } catch (const std::bad_alloc& e) {
        throw ran_out(e.what());
    } catch (const std::length_error& e) {
        // a vector asked to grow past what it can address: "vector::_M_default_append"
        throw ran_out(std::string("a size past what a vector can hold, ") + e.what());
    }
}

} // namespace canopy::bench
