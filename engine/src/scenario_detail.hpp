#pragma once
// Internals of the scenario loader, shared by its translation units and by nothing else.
//
// The loader works in three stages:
//   input    (scenario_input.cpp)  read the bytes, check UTF-8 and a lexical pre-scan that keeps
//                                   toml++ away from inputs it crashes on, follow `extends`
//   parse    (scenario_toml.cpp)    toml++ -> TomlNode, the only file that includes toml++
//   validate (scenario.cpp)         TomlNode -> Scenario plus diagnostics
// TomlNode is a plain copy of the document with a source position on every value and key, so
// that merging parents and children (extends) keeps each value's own file and line.

#include <canopy/engine/diagnostics.hpp>
#include <canopy/engine/model.hpp>
#include <canopy/engine/scenario.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace canopy::engine::detail {

/// A place in one of the loaded files: files are numbered in the order they were read.
struct SourcePos {
    int file = 0;
    int line = 0;   ///< 1-based, 0 when unknown
    int column = 0; ///< 1-based, in code points, 0 when unknown
};

/// One TOML value with its position.
struct TomlNode {
    enum class Type { table, array, string, integer, floating, boolean, date, time, date_time };
    Type type = Type::table;
    SourcePos pos;     ///< where the value starts; for a [table], its header
    SourcePos key_pos; ///< where the key naming this value is written (pos for array items)
    std::string string;
    std::int64_t integer = 0;
    double floating = 0.0;
    bool boolean = false;
    std::string key;               ///< the key naming this value in its table (empty otherwise)
    std::vector<TomlNode> items;   ///< array elements
    std::vector<TomlNode> entries; ///< table entries (each with its key), in file order
    /// A table merged from its ancestors' and a child's (extends): where each ancestor's was,
    /// the farthest first (a grandparent, then the parent); empty otherwise. Diagnostics on a
    /// merged entry name every file that wrote it.
    std::vector<SourcePos> inherited;

    [[nodiscard]] const TomlNode* find(std::string_view name) const;
    [[nodiscard]] bool is_table() const noexcept { return type == Type::table; }
    [[nodiscard]] bool is_number() const noexcept {
        return type == Type::integer || type == Type::floating;
    }
};

/// "a table", "a string", "an integer", ... for "expected X, found Y" messages.
const char* describe(TomlNode::Type type) noexcept;

/// Files are limited to this size: a scenario is a page or two, anything bigger is a mistake.
inline constexpr std::size_t MAX_FILE_BYTES = std::size_t{4} * 1024 * 1024;
/// Deepest nesting of tables, arrays and inline tables the pre-scan lets through.
inline constexpr int MAX_NESTING = 32;
/// Longest chain of `extends` (the file itself not counted).
inline constexpr int MAX_EXTENDS_DEPTH = 8;

/// A character of a bare TOML key: A-Z, a-z, 0-9, '_' and '-'.
inline bool is_bare_key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/// Checks that text is well-formed UTF-8 (no overlong forms, surrogates or code points beyond
/// U+10FFFF). On failure adds one diagnostic at the offending byte and returns false.
bool check_utf8(std::string_view text, const std::string& file_name, Diagnostics& out);

/// The lexical pre-scan run before toml++: rejects non-ASCII characters outside strings and
/// comments, nesting deeper than MAX_NESTING, and table headers that do not start with a key
/// (each of which crashes toml++ 3.3 in some build). Expects valid UTF-8. On failure adds one
/// diagnostic and returns false; a document that passes may still be malformed TOML.
bool prescan_toml(std::string_view text, const std::string& file_name, Diagnostics& out);

/// Parses a document that passed both checks. Returns the root table, or adds a diagnostic
/// (with the parser's position) and returns nothing. Never throws.
std::optional<TomlNode> parse_toml(std::string_view text, int file_index,
                                   const std::string& file_name, Diagnostics& out);

/// Every file read while loading one scenario, in order (index = SourcePos::file).
/// The line before each file's text in Scenario::text, followed by the file's path as given.
inline constexpr std::string_view FILE_HEADER = "# ---- file: ";

struct SourceFiles {
    std::vector<std::string> names; ///< as shown in diagnostics
    std::string text;               ///< every file, parent first, each after a "# ---- file:" line
};

/// Reads, checks and parses `text` (named `file_name`) and, recursively, every file it extends,
/// and merges them: parent first, the child's keys override, tables merge recursively. The
/// `extends` key is removed from the result. Returns nothing when any file could not be parsed
/// (the diagnostics say why).
std::optional<TomlNode> load_document(std::string_view text, const std::string& file_name,
                                      SourceFiles& files, Diagnostics& out);

/// Lays `child` over `parent` (what `extends` does; scenario_extends.cpp): the child's
/// `remove = [...]` drops inherited entries first; within an entry a key that chooses a form
/// (value or distribution, a schedule, an indicator's kind, source or assumption) replaces the
/// parent's whole form; `replace = true` replaces an entry whole; other tables merge key by key.
/// `remove` and `replace` are consumed. Problems (naming both files) go to `out`.
void merge_child(TomlNode& parent, TomlNode&& child, const std::string& parent_name,
                 const SourceFiles& files, Diagnostics& out);

/// Reports `remove` and `replace` in a file that extends nothing, and takes them out.
void check_no_parent(TomlNode& root, const SourceFiles& files, Diagnostics& out);

/// Reads a whole file, refusing directories, special files (a FIFO would block), unreadable
/// files and files over MAX_FILE_BYTES. On failure returns nothing and sets `why` to a short
/// reason ("no such file", "is a directory", ...).
std::optional<std::string> read_scenario_file(const std::filesystem::path& path, std::string& why);

/// An error diagnostic at a place.
Diagnostic make_error(const std::string& file, int line, int column, std::string key,
                      std::string message, std::string allowed = {}, std::string hint = {});

// ---- checks across keys (scenario_limits.cpp) ------------------------------------------------

/// A problem one of the checks below found, before the validator makes it a diagnostic.
struct Problem {
    SourcePos pos;
    std::string key;
    std::string message;
    std::string allowed;
    std::size_t rule = 0; ///< constraint_problems: the index of the broken rule in the model's
};

/// Shortest text that reads back as the same double ("0.1", "250", "1e-09", "inf").
std::string number_text(double x);

/// More than `limit` entries in a section such as [indicators] (`name`): a problem at the
/// first entry past the limit. `what` is the plural, e.g. "indicators".
std::optional<Problem> section_size_problem(const TomlNode& section, const std::string& name,
                                            std::size_t limit, const std::string& what);

/// A horizon from `start` to `end` (inclusive) longer than the model holds
/// (ModelInfo::max_horizon_months, never more than MAX_HORIZON_MONTHS): a problem at `end`.
std::optional<Problem> horizon_problem(YearMonth start, YearMonth end, const ModelInfo& model,
                                       SourcePos end_pos);

/// Where a parameter's value was set, for constraint messages.
struct ParameterOrigin {
    bool set = false; ///< false: the model's default
    SourcePos pos;    ///< the `value` or `distribution` key
    std::string key;  ///< its dotted key, e.g. "parameters.share_auto.value"
};

/// Every ModelInfo::constraints rule that `values` (one per model parameter) break, each at
/// the last involved key of the outermost file that sets one. `context` prefixes the message (e.g.
/// "policy mix 'x'"); `files` are the loaded files' names (SourcePos::file indexes them).
/// `described[k]`, when given and not empty, says parameter k's values in the message instead of
/// its setting (a sweep's factor range, a calibration's prior).
/// Throws canopy::Error when a constraint names a parameter the model does not have.
std::vector<Problem> constraint_problems(const ModelInfo& model,
                                         const std::vector<ParameterSetting>& values,
                                         const std::vector<ParameterOrigin>& origins,
                                         const std::string& context,
                                         const std::vector<std::string>& files,
                                         const std::vector<std::string>& described = {});

} // namespace canopy::engine::detail
