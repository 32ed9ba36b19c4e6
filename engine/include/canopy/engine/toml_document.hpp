#pragma once
/// \file toml_document.hpp
/// A TOML file as plain data, with the line and column of every key and value: how Canopy's
/// other declarative files (calibration files, sweep files) are read with the scenario loader's
/// guards.
///
/// Reading refuses what the scenario loader refuses before it reads a key
/// (docs/scenario-format.md, "What the loader refuses"): a missing, unreadable, empty or special
/// file, one over 4 MiB, text that is not UTF-8, the shapes that crash the parser, and malformed
/// TOML — each as one diagnostic with the file, line and column. It never throws for bad input.

#include <canopy/engine/diagnostics.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace canopy::engine {

/// One TOML value with where it is written (1-based; 0 when unknown).
struct TomlValue {
    enum class Type { table, array, string, integer, floating, boolean, date, time, date_time };
    Type type = Type::table;
    int line = 0;       ///< where the value starts; for a [table], its header
    int column = 0;     ///< in code points
    int key_line = 0;   ///< where the key naming this value is written (the value's for items)
    int key_column = 0; ///< in code points
    std::string key;    ///< the key naming this value in its table (empty for array items)
    std::string string;
    std::int64_t integer = 0;
    double floating = 0.0; ///< also set for integers (their value as a double)
    bool boolean = false;
    std::vector<TomlValue> items;   ///< array elements
    std::vector<TomlValue> entries; ///< table entries (each with its key), in file order

    /// The entry of a table with this key, or nullptr.
    [[nodiscard]] const TomlValue* find(std::string_view name) const;
    [[nodiscard]] bool is_table() const noexcept { return type == Type::table; }
    [[nodiscard]] bool is_number() const noexcept {
        return type == Type::integer || type == Type::floating;
    }
};

/// "a table", "an array", "a string", "an integer", ... for "expected X, found Y" messages.
const char* describe(TomlValue::Type type) noexcept;

/// A file's text and its parsed root table (absent when reading failed).
struct TomlDocument {
    std::string text;
    std::optional<TomlValue> root;
};

/// Reads and parses `file` (named `file.generic_string()` in diagnostics). `extends` is not
/// followed: it is an ordinary key here.
TomlDocument read_toml_file(const std::filesystem::path& file, Diagnostics& diagnostics);

/// Parses `text` named `file_name`, with the same checks.
std::optional<TomlValue> parse_toml_text(std::string_view text, const std::string& file_name,
                                         Diagnostics& diagnostics);

/// Whether `text` is UTF-8, as every file Canopy reads must be. If it is not, adds an error at
/// the line and column of `file_name` where the first byte that breaks it lies, saying which
/// byte and why, and returns false (a CSV saved in GBK, as Chinese statistics often come).
bool check_utf8_text(std::string_view text, const std::string& file_name, Diagnostics& diagnostics);

} // namespace canopy::engine
