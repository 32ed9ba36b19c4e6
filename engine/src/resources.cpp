// Estimates of a run's memory and time, and the memory the machine has left.
#include <canopy/engine/resources.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

namespace canopy::engine {

namespace {

constexpr double BYTES_PER_VALUE = 8.0; // every kept number is a double
// Per replicate, besides its numbers: the vectors' headers and the allocator's rounding.
constexpr double BYTES_PER_REPLICATE = 128.0;

// The first number after `key` in a file of "key value" lines, or nothing.
bool read_field(const char* path, const std::string& key, double& out) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key, 0) == 0) {
            std::istringstream rest(line.substr(key.size()));
            double value = 0.0;
            if (rest >> value) {
                out = value;
                return true;
            }
        }
    }
    return false;
}

// The first word of a one-line file ("max" or a number), or empty.
std::string read_word(const char* path) {
    std::ifstream in(path);
    std::string word;
    in >> word;
    return word;
}

} // namespace

std::string duration_text(double seconds) {
    if (seconds < 90.0) {
        return std::to_string(static_cast<long long>(std::ceil(seconds))) + " s";
    }
    if (seconds < 90.0 * 60.0) {
        return std::to_string(static_cast<long long>(std::llround(seconds / 60.0))) + " min";
    }
    if (seconds < 48.0 * 3600.0) {
        return std::to_string(static_cast<long long>(std::llround(seconds / 3600.0))) + " h";
    }
    return std::to_string(static_cast<long long>(std::llround(seconds / 86400.0))) + " days";
}

ResourceEstimate estimate_resources(const ModelInfo& model, const Calendar& calendar,
                                    const RunShape& shape) {
    ResourceEstimate e;
    const double rows = calendar.steps() + 1.0;
    const double per_replicate =
        BYTES_PER_VALUE *
            (rows * static_cast<double>(model.series.size()) +
             static_cast<double>(model.parameters.size()) + static_cast<double>(shape.indicators)) +
        BYTES_PER_REPLICATE;
    e.kept_bytes = static_cast<double>(std::max(1, shape.runs)) *
                   static_cast<double>(std::max(1, shape.replicates)) * per_replicate;
    if (shape.agents_at_horizon >= 0.0) {
        e.agents_known = true;
        const double in_flight = std::max(1, std::min(shape.threads, shape.replicates));
        const double per_agent =
            shape.bytes_per_agent >= 0.0 ? shape.bytes_per_agent : model.bytes_per_agent;
        e.agent_bytes = in_flight * shape.agents_at_horizon * per_agent;
        if (model.agent_steps_per_second > 0.0) {
            // Agents grow from the start to the horizon; the horizon's count bounds the mean.
            const double agents = static_cast<double>(std::max(1, shape.runs)) *
                                  std::max(1, shape.replicates) * shape.agents_at_horizon;
            // Each replicate builds its agents before its first step: most of a short run of a
            // small city (four fifths of the reference scenario's 12 months of 2,000 firms).
            const double one_thread = agents * calendar.steps() / model.agent_steps_per_second +
                                      agents * model.setup_seconds_per_agent;
            e.seconds = one_thread / std::max(1, shape.threads);
        }
    }
    return e;
}

std::string ResourceEstimate::describe(const RunShape& shape, const ModelInfo& model,
                                       const Calendar& calendar) const {
    std::string out = "about " + bytes_text(total_bytes()) + ": " + bytes_text(kept_bytes) +
                      " of kept series (" + grouped(shape.replicates) + " replicates x " +
                      grouped(shape.runs) + (shape.runs == 1 ? " run" : " runs") + " x " +
                      grouped(calendar.steps() + 1) + " rows x " +
                      grouped(static_cast<double>(model.series.size())) + " series)";
    if (agents_known) {
        const int in_flight = std::max(1, std::min(shape.threads, shape.replicates));
        out += ", " + bytes_text(agent_bytes) + " for " + grouped(shape.agents_at_horizon) +
               " agents at the horizon in each of " + std::to_string(in_flight) +
               (in_flight == 1 ? " replicate" : " replicates") + " in flight";
    } else {
        out += " (model '" + model.name + "' does not estimate its agents)";
    }
    if (seconds > 0.0) {
        out += "; about " + duration_text(seconds) + " on " + std::to_string(shape.threads) +
               (shape.threads == 1 ? " thread" : " threads");
    }
    return out;
}

std::string grouped(double x) {
    const auto n = static_cast<long long>(std::llround(x));
    std::string digits = std::to_string(n);
    for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) {
        digits.insert(static_cast<std::size_t>(i), ",");
    }
    return digits;
}

std::uint64_t available_memory_bytes() {
    double available = 0.0;
    double kib = 0.0;
    if (read_field("/proc/meminfo", "MemAvailable:", kib)) {
        available = kib * 1024.0;
    }
    // A container's own limit (cgroup v2) can be far below what the host has free.
    const std::string limit = read_word("/sys/fs/cgroup/memory.max");
    const std::string used = read_word("/sys/fs/cgroup/memory.current");
    if (!limit.empty() && limit != "max" && !used.empty()) {
        try {
            const double left = std::max(0.0, std::stod(limit) - std::stod(used));
            available = available > 0.0 ? std::min(available, left) : left;
        } catch (const std::exception&) {
            // an unreadable cgroup file: keep /proc/meminfo's figure
        }
    }
    return available >= static_cast<double>(std::numeric_limits<std::uint64_t>::max())
               ? std::numeric_limits<std::uint64_t>::max()
               : static_cast<std::uint64_t>(available);
}

std::string bytes_text(double bytes) {
    const char* units[] = {"bytes", "kB", "MB", "GB", "TB", "PB"};
    std::size_t u = 0;
    while (bytes >= 999.5 && u + 1 < std::size(units)) {
        bytes /= 1000.0;
        ++u;
    }
    char buffer[32];
    if (u == 0) {
        std::snprintf(buffer, sizeof buffer, "%.0f %s", bytes, units[u]);
    } else {
        std::snprintf(buffer, sizeof buffer, bytes < 10.0 ? "%.1f %s" : "%.0f %s", bytes, units[u]);
    }
    return buffer;
}

bool parse_bytes(const std::string& text, double& out) {
    // Plain decimal only: std::stod alone would also take "0x1F4" (hexadecimal), " 5", "+5",
    // "1e3", "inf" and sizes past any machine's, which a limit must not silently become.
    std::size_t used = 0;
    while (used < text.size() && std::isdigit(static_cast<unsigned char>(text[used])) != 0) {
        ++used;
    }
    const std::size_t whole_digits = used;
    if (used < text.size() && text[used] == '.') {
        ++used;
        while (used < text.size() && std::isdigit(static_cast<unsigned char>(text[used])) != 0) {
            ++used;
        }
    }
    if (whole_digits == 0 || (used > whole_digits && used == whole_digits + 1)) {
        return false; // no digit before the point, or none after it
    }
    const double value = std::strtod(text.substr(0, used).c_str(), nullptr);
    std::string unit = text.substr(used);
    if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) {
        unit.pop_back();
    }
    double scale = 1.0;
    if (unit == "k" || unit == "K") {
        scale = 1e3;
    } else if (unit == "M" || unit == "m") {
        scale = 1e6;
    } else if (unit == "G" || unit == "g") {
        scale = 1e9;
    } else if (unit == "T" || unit == "t") {
        scale = 1e12;
    } else if (!unit.empty()) {
        return false;
    }
    if (!(value * scale < MAX_BYTES)) {
        // A whole number of bytes below 2^64 that rounds up to 2^64 as a double
        // (18446744073709551615) is below the limit as written: the largest double below it.
        std::uint64_t exact = 0;
        const char* last = text.data() + whole_digits;
        const auto [end, ec] = std::from_chars(text.data(), last, exact);
        if (scale == 1.0 && used == whole_digits && ec == std::errc() && end == last) {
            out = std::nextafter(MAX_BYTES, 0.0);
            return true;
        }
        return false;
    }
    out = value * scale;
    return true;
}

} // namespace canopy::engine
