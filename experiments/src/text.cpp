// Small text helpers of the experiments layer.
#include "text.hpp"

#include <charconv>
#include <cmath>

namespace canopy::experiments::detail {

std::string number_text(double x) {
    if (std::isnan(x)) {
        return "nan";
    }
    if (std::isinf(x)) {
        return x > 0 ? "inf" : "-inf";
    }
    char buffer[64];
    if (std::floor(x) == x && std::fabs(x) < 1e15) {
        const auto whole = std::to_chars(buffer, buffer + sizeof buffer, static_cast<long long>(x));
        return std::string(buffer, whole.ptr);
    }
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, x);
    return std::string(buffer, result.ptr);
}

std::string range_text(const engine::Range& r) {
    return (std::isinf(r.min) ? "(" : "[") + number_text(r.min) + ", " + number_text(r.max) +
           (std::isinf(r.max) ? ")" : "]");
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) {
            out += separator;
        }
        out += items[i];
    }
    return out;
}

engine::Diagnostic error_at(const std::string& file, int line, int column, std::string key,
                            std::string message, std::string allowed, std::string hint) {
    engine::Diagnostic d;
    d.severity = engine::Diagnostic::Severity::error;
    d.file = file;
    d.line = line;
    d.column = column;
    d.key = std::move(key);
    d.message = std::move(message);
    d.allowed = std::move(allowed);
    d.hint = std::move(hint);
    return d;
}

} // namespace canopy::experiments::detail
