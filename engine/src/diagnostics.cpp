// Diagnostics as data, printed in the compiler-style "file:line:column: error: ..." form that
// editors and CI logs already know how to jump to.
#include <canopy/engine/diagnostics.hpp>

#include <algorithm>
#include <numeric>

namespace canopy::engine {

std::string Diagnostic::format() const {
    std::string out;
    // The place: "file:line:column", dropping what is unknown. A line without a file (text
    // loaded from memory with no name) is shown against "<input>" so it still reads as a place.
    if (!file.empty() || line > 0) {
        out += file.empty() ? "<input>" : file;
        if (line > 0) {
            out += ":" + std::to_string(line);
            if (column > 0) {
                out += ":" + std::to_string(column);
            }
        }
        out += ": ";
    }
    out += severity == Severity::error ? "error: " : "warning: ";
    if (!key.empty()) {
        out += key + ": ";
    }
    out += message;
    if (!allowed.empty()) {
        out += " (allowed: " + allowed + ")";
    }
    if (!hint.empty()) {
        out += " " + hint;
    }
    return out;
}

bool Diagnostics::has_errors() const noexcept {
    return std::any_of(items_.begin(), items_.end(), [](const Diagnostic& d) {
        return d.severity == Diagnostic::Severity::error;
    });
}

std::string Diagnostics::format() const {
    std::string out;
    for (const Diagnostic& d : items_) {
        out += d.format();
        out += '\n';
    }
    return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Two rows of the Wagner-Fischer table; byte-wise, which is what keys (ASCII) need.
    std::vector<std::size_t> previous(b.size() + 1);
    std::vector<std::size_t> current(b.size() + 1);
    std::iota(previous.begin(), previous.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitute});
        }
        std::swap(previous, current);
    }
    return previous[b.size()];
}

std::string nearest(std::string_view word, const std::vector<std::string>& candidates) {
    if (word.empty()) {
        return {};
    }
    const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
    const std::string* best = nullptr;
    std::size_t best_distance = 0;
    for (const std::string& candidate : candidates) {
        const std::size_t d = edit_distance(word, candidate);
        // Strictly less keeps the first of equally near candidates, so the answer does not
        // depend on anything but the candidates' order.
        if (best == nullptr || d < best_distance) {
            best = &candidate;
            best_distance = d;
        }
    }
    // A distance equal to the longer length means every character was replaced: "id" is two
    // edits from "to" but is no typo of it.
    if (best == nullptr || best_distance > limit ||
        best_distance >= std::max(word.size(), best->size())) {
        return {};
    }
    return *best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    const std::string match = nearest(word, candidates);
    if (match.empty()) {
        return {};
    }
    return "did you mean '" + match + "'?";
}

} // namespace canopy::engine
