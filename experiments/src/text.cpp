// Small text helpers of the experiments layer.
#include "text.hpp"

#include <canopy/engine/toml_document.hpp>

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

void toml_canonical(const engine::TomlValue& v, std::string& out) {
    out += std::to_string(static_cast<int>(v.type)) + " ";
    switch (v.type) {
    case engine::TomlValue::Type::table:
        out += "{" + std::to_string(v.entries.size()) + "\n";
        for (const engine::TomlValue& e : v.entries) {
            out += std::to_string(e.key.size()) + ":" + e.key + " ";
            toml_canonical(e, out);
        }
        out += "}\n";
        break;
    case engine::TomlValue::Type::array:
        out += "[" + std::to_string(v.items.size()) + "\n";
        for (const engine::TomlValue& item : v.items) {
            toml_canonical(item, out);
        }
        out += "]\n";
        break;
    case engine::TomlValue::Type::integer:
        out += std::to_string(v.integer) + "\n";
        break;
    case engine::TomlValue::Type::floating: {
        char buffer[64];
        const auto r =
            std::to_chars(buffer, buffer + sizeof buffer, v.floating, std::chars_format::hex);
        out += std::string(buffer, r.ptr) + "\n";
        break;
    }
    case engine::TomlValue::Type::boolean:
        out += v.boolean ? "true\n" : "false\n";
        break;
    default: // strings, and dates and times as their text
        out += std::to_string(v.string.size()) + ":" + v.string + "\n";
        break;
    }
}

std::string toml_content(const std::string& text) {
    engine::Diagnostics ignored;
    const std::optional<engine::TomlValue> root = engine::parse_toml_text(text, "", ignored);
    if (!root) {
        return text; // not TOML (a file from elsewhere): its text is all there is to compare
    }
    std::string out;
    toml_canonical(*root, out);
    return out;
}

} // namespace canopy::experiments::detail
