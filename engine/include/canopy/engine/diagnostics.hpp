#pragma once
/// \file diagnostics.hpp
/// Problems found in user input, as data.
///
/// Validation never stops at the first problem and never throws for bad input: it returns
/// every diagnostic it found, each naming the file, line, column and key, what is wrong, what
/// is allowed, and (for a misspelt name) the nearest valid one. The CLI prints them all and
/// exits with status 2 before creating or touching any output file.

#include <string>
#include <string_view>
#include <vector>

namespace canopy::engine {

/// One problem in one place.
struct Diagnostic {
    enum class Severity { error, warning };
    Severity severity = Severity::error;
    std::string file;
    int line = 0;        ///< 1-based; 0 when the problem has no single place (a missing key)
    int column = 0;      ///< 1-based; 0 when unknown
    std::string key;     ///< dotted key path, e.g. "levers.tech_loans.value"
    std::string message; ///< what is wrong
    std::string allowed; ///< what would be accepted (a range, a list), may be empty
    std::string hint;    ///< e.g. "did you mean 'threshold'?", may be empty

    /// "file:line:column: error: key: message (allowed: ...) hint".
    [[nodiscard]] std::string format() const;
};

/// An ordered list of diagnostics.
class Diagnostics {
public:
    void add(Diagnostic d) { items_.push_back(std::move(d)); }
    void append(const Diagnostics& other) {
        items_.insert(items_.end(), other.items_.begin(), other.items_.end());
    }
    [[nodiscard]] bool has_errors() const noexcept;
    [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
    [[nodiscard]] bool empty() const noexcept { return items_.empty(); }
    [[nodiscard]] const std::vector<Diagnostic>& items() const noexcept { return items_; }
    [[nodiscard]] auto begin() const noexcept { return items_.begin(); }
    [[nodiscard]] auto end() const noexcept { return items_.end(); }
    /// Every diagnostic, one per line.
    [[nodiscard]] std::string format() const;

private:
    std::vector<Diagnostic> items_;
};

/// Levenshtein edit distance.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate nearest to `word` if it is close enough to be a plausible typo (distance at
/// most max(2, |word| / 3), and short of replacing every character), else empty. Ties go to
/// the earlier candidate; an empty word matches nothing.
std::string nearest(std::string_view word, const std::vector<std::string>& candidates);

/// "did you mean 'x'?" for the nearest candidate, or empty.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

} // namespace canopy::engine
