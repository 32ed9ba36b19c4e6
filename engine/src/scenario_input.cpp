// The input stage of the scenario loader: bytes -> checked text -> TomlNode, following
// `extends`.
//
// toml++ 3.3 aborts on a failed assertion (or, with assertions off, carries on from an
// impossible state) on some malformed input. Before toml++ sees a document, the text must be
// valid UTF-8 and pass a small lexical pre-scan that knows just enough TOML (strings, comments,
// keys, brackets) to report these shapes as ordinary diagnostics:
//   - a table header that does not start with a key: "[[[x]]]", "[" at the end of a line
//   - a non-ASCII character outside strings and comments ("[é]" reaches the same assertion)
//   - nesting deeper than MAX_NESTING (arrays, inline tables, dotted keys and headers together)
//   - '}' while an array is open: toml++ parses it as an element's first character
//   - a date-time token with no digit after its 'T'
//   - a date, a space and a lone digit ("1979-05-27 1 ")
// The last three were found by fuzzing (tests/fuzz); docs/scenario-format.md lists them all.
#include "scenario_detail.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <system_error>
#include <unordered_map>

namespace canopy::engine::detail {

namespace fs = std::filesystem;

Diagnostic make_error(const std::string& file, int line, int column, std::string key,
                      std::string message, std::string allowed, std::string hint) {
    Diagnostic d;
    d.severity = Diagnostic::Severity::error;
    d.file = file;
    d.line = line;
    d.column = column;
    d.key = std::move(key);
    d.message = std::move(message);
    d.allowed = std::move(allowed);
    d.hint = std::move(hint);
    return d;
}

const TomlNode* TomlNode::find(std::string_view name) const {
    for (const TomlNode& entry : entries) {
        if (entry.key == name) {
            return &entry;
        }
    }
    return nullptr;
}

const char* describe(TomlNode::Type type) noexcept {
    switch (type) {
    case TomlNode::Type::table:
        return "a table";
    case TomlNode::Type::array:
        return "an array";
    case TomlNode::Type::string:
        return "a string";
    case TomlNode::Type::integer:
        return "an integer";
    case TomlNode::Type::floating:
        return "a floating-point number";
    case TomlNode::Type::boolean:
        return "a boolean";
    case TomlNode::Type::date:
        return "a date";
    case TomlNode::Type::time:
        return "a time";
    case TomlNode::Type::date_time:
        return "a date-time";
    }
    return "a value";
}

namespace {

// ---- positions -------------------------------------------------------------------------------

bool is_continuation(unsigned char c) {
    return (c & 0xC0U) == 0x80U;
}

// Line and column (in code points, as toml++ counts them) of byte offset `at`.
std::pair<int, int> line_column(std::string_view text, std::size_t at) {
    int line = 1;
    int column = 1;
    for (std::size_t i = 0; i < at && i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\n') {
            ++line;
            column = 1;
        } else if (!is_continuation(c)) {
            ++column;
        }
    }
    return {line, column};
}

std::string hex_byte(unsigned char c) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "0x%02X", static_cast<unsigned>(c));
    return buffer;
}

// ---- UTF-8 -----------------------------------------------------------------------------------

// Why the sequence at text[i] is not UTF-8, or empty when it is; `length` gets its length.
std::string utf8_problem(std::string_view text, std::size_t i, std::size_t& length) {
    const auto byte = [&](std::size_t k) -> unsigned char {
        return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
    };
    const unsigned char c = byte(0);
    length = 1;
    if (c < 0x80U) {
        return {};
    }
    if (is_continuation(c)) {
        return "byte " + hex_byte(c) + " is a continuation byte with no character to continue";
    }
    if (c == 0xC0U || c == 0xC1U) {
        return "overlong encoding (byte " + hex_byte(c) + ")";
    }
    if (c >= 0xF5U) {
        return "byte " + hex_byte(c) + " cannot occur in UTF-8";
    }
    length = c < 0xE0U ? 2 : (c < 0xF0U ? 3 : 4);
    for (std::size_t k = 1; k < length; ++k) {
        if (i + k >= text.size() || !is_continuation(byte(k))) {
            return "incomplete multi-byte sequence starting with byte " + hex_byte(c);
        }
    }
    const unsigned char c1 = byte(1);
    if ((c == 0xE0U && c1 < 0xA0U) || (c == 0xF0U && c1 < 0x90U)) {
        return "overlong encoding (bytes " + hex_byte(c) + " " + hex_byte(c1) + ")";
    }
    if (c == 0xEDU && c1 >= 0xA0U) {
        return "encoded surrogate (U+D800..U+DFFF are not characters)";
    }
    if (c == 0xF4U && c1 >= 0x90U) {
        return "code point beyond U+10FFFF";
    }
    return {};
}

// ---- the lexical pre-scan --------------------------------------------------------------------

bool is_quote(char c) {
    return c == '"' || c == '\'';
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

// A single pass over the document with just enough TOML to know what is inside a string or a
// comment, where keys and table headers are, and how deep arrays and tables nest. It mirrors
// toml++'s reading of a document up to toml++'s first error; past a point where toml++ would
// stop, what the scan concludes does not matter as long as it stays conservative.
class Prescan {
public:
    Prescan(std::string_view text, const std::string& file, Diagnostics& out)
        : text_(text)
        , file_(file)
        , out_(out) {}

    bool run() {
        if (text_.substr(0, 3) == "\xEF\xBB\xBF") {
            i_ = 3; // a byte-order mark, which toml++ skips
        }
        while (!failed_ && i_ < text_.size()) {
            const char c = text_[i_];
            if (static_cast<unsigned char>(c) >= 0x80U) {
                fail(i_, "non-ASCII character outside a string or comment",
                     "ASCII keys ([A-Za-z0-9_-]); put other text in a quoted string");
                break;
            }
            switch (mode_) {
            case Mode::line_start:
                line_start(c);
                break;
            case Mode::value:
                value(c);
                break;
            case Mode::inline_key:
                inline_key(c);
                break;
            }
        }
        return !failed_;
    }

private:
    enum class Mode { line_start, value, inline_key };
    struct Frame {
        char kind; // '[' or '{'
        int depth; // nesting depth of this array or inline table
    };

    void line_start(char c) {
        if (is_space(c) || c == '\n' || c == '\r') {
            ++i_;
        } else if (c == '#') {
            skip_comment();
        } else if (c == '[') {
            header();
        } else if (is_bare_key_char(c) || is_quote(c)) {
            const std::size_t at = i_;
            value_depth_ = table_depth_ + key();
            check_depth(at, value_depth_);
            mode_ = Mode::value;
        } else {
            // Not a key: toml++ stops here with its own message; scan on conservatively.
            mode_ = Mode::value;
        }
    }

    void value(char c) {
        switch (c) {
        case '\n':
            ++i_;
            if (stack_.empty()) {
                mode_ = Mode::line_start;
            }
            break;
        case '#':
            skip_comment();
            break;
        case '"':
        case '\'':
            skip_string();
            break;
        case '[':
        case '{': {
            const int depth = !stack_.empty() && stack_.back().kind == '[' ? stack_.back().depth + 1
                                                                           : value_depth_;
            check_depth(i_, depth);
            stack_.push_back(Frame{c, depth});
            ++i_;
            if (c == '{') {
                mode_ = Mode::inline_key;
            }
            break;
        }
        case ']':
        case '}':
            if (c == '}' && !stack_.empty() && stack_.back().kind == '[') {
                // toml++ asserts that an array element does not start with '}'.
                fail(i_, "'}' cannot close an array", "']' to close the array");
                break;
            }
            ++i_;
            if (!stack_.empty()) {
                stack_.pop_back();
            }
            break;
        case ',':
            ++i_;
            if (!stack_.empty() && stack_.back().kind == '{') {
                mode_ = Mode::inline_key;
            }
            break;
        default:
            if (is_digit(c) && (i_ == 0 || !is_digit(text_[i_ - 1]))) {
                check_date_time(i_);
                check_date_space_digit(i_);
            }
            ++i_;
            break;
        }
    }

    // toml++ takes a token with digits, '-', ':' and 'T' for a date-time and then asserts that a
    // digit follows the 'T': "1979-05-27T:32:00" must not reach it.
    void check_date_time(std::size_t at) {
        const std::string_view date = text_.substr(at, 12);
        if (date.size() < 11) {
            return;
        }
        for (std::size_t k : {0U, 1U, 2U, 3U, 5U, 6U, 8U, 9U}) {
            if (!is_digit(date[k])) {
                return;
            }
        }
        if (date[4] != '-' || date[7] != '-' || (date[10] != 'T' && date[10] != 't')) {
            return;
        }
        if (date.size() < 12 || !is_digit(date[11])) {
            fail(at + 11, "a date-time needs a time after 'T'",
                 "a date-time such as 1979-05-27T07:32:00; months in scenarios are strings, "
                 "\"YYYY-MM\"");
        }
    }

    void inline_key(char c) {
        if (is_space(c) || c == '\r' || c == '\n') {
            ++i_;
        } else if (c == '#') {
            skip_comment();
        } else if (c == '}') {
            ++i_;
            if (!stack_.empty()) {
                stack_.pop_back();
            }
            mode_ = Mode::value;
        } else if (is_bare_key_char(c) || is_quote(c)) {
            const std::size_t at = i_;
            const int base = stack_.empty() ? table_depth_ : stack_.back().depth;
            value_depth_ = base + key();
            check_depth(at, value_depth_);
            mode_ = Mode::value;
        } else {
            mode_ = Mode::value;
        }
    }

    // A table header at the start of a line: "[key]" or "[[key]]". toml++ asserts that a key
    // follows the brackets, so anything else is reported here.
    void header() {
        const std::size_t at = i_;
        ++i_;
        skip_spaces();
        bool array_of_tables = false;
        if (i_ < text_.size() && text_[i_] == '[') {
            array_of_tables = true;
            ++i_;
            skip_spaces();
        }
        mode_ = Mode::value; // the rest of the line
        stack_.clear();
        if (i_ >= text_.size()) {
            return; // toml++ reports the unexpected end
        }
        const char c = text_[i_];
        if (is_bare_key_char(c) || is_quote(c)) {
            table_depth_ = key() + (array_of_tables ? 1 : 0);
            value_depth_ = table_depth_;
            check_depth(at, table_depth_);
            skip_spaces();
            if (i_ < text_.size() && text_[i_] == ']') {
                ++i_;
                if (array_of_tables && i_ < text_.size() && text_[i_] == ']') {
                    ++i_;
                }
            }
        } else if (c == ']') {
            ++i_; // "[]": toml++ reports the blank key itself
        } else if (static_cast<unsigned char>(c) >= 0x80U) {
            fail(i_, "non-ASCII character outside a string or comment",
                 "ASCII keys ([A-Za-z0-9_-]); put other text in a quoted string");
        } else {
            fail(i_, "a table header must start with a key, as in [name] or [[name]]",
                 "a bare key ([A-Za-z0-9_-]) or a quoted key after '[' or '[['");
        }
    }

    // A possibly dotted key; returns the number of segments.
    int key() {
        int segments = 0;
        while (!failed_ && i_ < text_.size()) {
            skip_spaces();
            if (i_ >= text_.size()) {
                break;
            }
            const char c = text_[i_];
            if (is_bare_key_char(c)) {
                while (i_ < text_.size() && is_bare_key_char(text_[i_])) {
                    ++i_;
                }
            } else if (is_quote(c)) {
                skip_string();
            } else {
                break;
            }
            ++segments;
            skip_spaces();
            if (i_ < text_.size() && text_[i_] == '.') {
                ++i_;
            } else {
                break;
            }
        }
        return segments;
    }

    void skip_spaces() {
        while (i_ < text_.size() && is_space(text_[i_])) {
            ++i_;
        }
    }

    void skip_comment() {
        while (i_ < text_.size() && text_[i_] != '\n') {
            ++i_;
        }
    }

    // A basic or literal string, single- or multi-line; stops at the end of the text, and a
    // single-line string also at the end of its line (toml++ reports either).
    void skip_string() {
        const char quote = text_[i_];
        const bool multi_line =
            text_.substr(i_, 3) == std::string_view(quote == '"' ? "\"\"\"" : "'''");
        i_ += multi_line ? 3 : 1;
        while (i_ < text_.size()) {
            const char c = text_[i_];
            if (c == '\\' && quote == '"') {
                i_ += 2; // an escape: the next character cannot end the string
                continue;
            }
            if (!multi_line && c == '\n') {
                return;
            }
            if (c == quote) {
                if (!multi_line) {
                    ++i_;
                    return;
                }
                std::size_t run = 0;
                while (i_ < text_.size() && text_[i_] == quote) {
                    ++run;
                    ++i_;
                }
                if (run >= 3) {
                    return; // up to two quotes before the closing three belong to the string
                }
                continue;
            }
            ++i_;
        }
        i_ = std::min(i_, text_.size());
    }

    // For "1979-05-27 07:32:00" toml++ looks past the space after a ten-character token shaped
    // like a date; when what follows is a single digit and then the end of the value, its
    // scanner asserts ("x = 1979-05-27 1 "). Tokens are counted as toml++ counts them: code
    // points up to its value terminator, underscores skipped.
    void check_date_space_digit(std::size_t at) {
        std::size_t j = at;
        int count = 0;
        char32_t fifth = 0;
        char32_t eighth = 0;
        while (j < text_.size()) {
            std::size_t length = 1;
            const char32_t cp = decode(j, length);
            if (is_toml_terminator(cp)) {
                break;
            }
            if (cp != U'_') {
                if (count == 4) {
                    fifth = cp;
                } else if (count == 7) {
                    eighth = cp;
                }
                if (++count > 10) {
                    return;
                }
            }
            j += length;
        }
        if (count != 10 || fifth != U'-' || eighth != U'-' || j + 2 >= text_.size() ||
            text_[j] != ' ' || !is_digit(text_[j + 1])) {
            return;
        }
        std::size_t length = 1;
        if (is_toml_terminator(decode(j + 2, length))) {
            fail(j + 1, "a date followed by a space and a lone digit",
                 "a date (1979-05-27) or a date and time (1979-05-27 07:32:00); months in "
                 "scenarios are strings, \"YYYY-MM\"");
        }
    }

    // The code point at byte i of text already checked to be UTF-8.
    [[nodiscard]] char32_t decode(std::size_t i, std::size_t& length) const {
        const auto b = [&](std::size_t k) {
            return static_cast<char32_t>(static_cast<unsigned char>(text_[i + k]));
        };
        const char32_t c = b(0);
        if (c < 0x80U) {
            length = 1;
            return c;
        }
        if (c < 0xE0U) {
            length = 2;
            return ((c & 0x1FU) << 6) | (b(1) & 0x3FU);
        }
        if (c < 0xF0U) {
            length = 3;
            return ((c & 0x0FU) << 12) | ((b(1) & 0x3FU) << 6) | (b(2) & 0x3FU);
        }
        length = 4;
        return ((c & 0x07U) << 18) | ((b(1) & 0x3FU) << 12) | ((b(2) & 0x3FU) << 6) |
               (b(3) & 0x3FU);
    }

    // toml++'s is_value_terminator: its whitespace (ASCII and Unicode) and ] } , #.
    static bool is_toml_terminator(char32_t c) {
        switch (c) {
        case U' ':
        case U'\t':
        case U'\n':
        case U'\v':
        case U'\f':
        case U'\r':
        case U']':
        case U'}':
        case U',':
        case U'#':
        case 0x85:
        case 0xA0:
        case 0x1680:
        case 0x180E:
        case 0x202F:
        case 0x2028:
        case 0x2029:
        case 0x3000:
        case 0xFEFF:
            return true;
        default:
            return (c >= 0x2000 && c <= 0x200B) || (c >= 0x205F && c <= 0x2060);
        }
    }

    void check_depth(std::size_t at, int depth) {
        if (!failed_ && depth > MAX_NESTING) {
            fail(at,
                 "tables, arrays and inline tables nest more than " + std::to_string(MAX_NESTING) +
                     " levels deep",
                 "at most " + std::to_string(MAX_NESTING) + " levels of nesting");
        }
    }

    void fail(std::size_t at, std::string message, std::string allowed) {
        const auto [line, column] = line_column(text_, at);
        out_.add(make_error(file_, line, column, "", std::move(message), std::move(allowed)));
        failed_ = true;
    }

    std::string_view text_;
    const std::string& file_;
    Diagnostics& out_;
    std::size_t i_ = 0;
    Mode mode_ = Mode::line_start;
    std::vector<Frame> stack_;
    int table_depth_ = 0; // depth of the current [table]
    int value_depth_ = 0; // depth a container opened at the current value position would have
    bool failed_ = false;
};

// ---- extends ---------------------------------------------------------------------------------

std::string canonical_key(const fs::path& path) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(path, ec);
    if (ec) {
        canonical = path.lexically_normal();
    }
    return canonical.generic_string();
}

struct Loader {
    SourceFiles& files;
    Diagnostics& out;
    std::vector<std::string> chain; // canonical paths of the files being loaded, outermost first
    std::vector<std::string> shown; // their names as shown

    std::optional<TomlNode> load(std::string_view text, const std::string& name, int depth) {
        const int index = static_cast<int>(files.names.size());
        files.names.push_back(name);
        if (text.empty()) {
            out.add(make_error(name, 1, 1, "", "the file is empty",
                               "a scenario with at least a [scenario] table"));
            return std::nullopt;
        }
        if (text.size() > MAX_FILE_BYTES) {
            out.add(make_error(name, 1, 1, "",
                               "the file is " + std::to_string(text.size()) +
                                   " bytes, larger than scenario files may be",
                               "at most " + std::to_string(MAX_FILE_BYTES) + " bytes (4 MiB)"));
            return std::nullopt;
        }
        if (!check_utf8(text, name, out) || !prescan_toml(text, name, out)) {
            return std::nullopt;
        }
        std::optional<TomlNode> root = parse_toml(text, index, name, out);
        if (!root) {
            return std::nullopt;
        }
        std::optional<TomlNode> result;
        const auto it = std::find_if(root->entries.begin(), root->entries.end(),
                                     [](const TomlNode& entry) { return entry.key == "extends"; });
        if (it == root->entries.end()) {
            check_no_parent(*root, files, out);
            result = std::move(root);
        } else {
            const TomlNode extends = std::move(*it);
            root->entries.erase(it);
            std::string parent_name;
            std::optional<TomlNode> parent = load_parent(extends, name, depth, parent_name);
            if (parent) {
                merge_child(*parent, std::move(*root), parent_name, files, out);
                result = std::move(parent);
            }
        }
        files.text += std::string(FILE_HEADER) + name + "\n";
        files.text.append(text);
        if (text.back() != '\n') {
            files.text += '\n';
        }
        return result;
    }

    std::optional<TomlNode> load_parent(const TomlNode& extends, const std::string& child_name,
                                        int depth, std::string& parent_shown) {
        const auto error_here = [&](std::string message, std::string allowed = {}) {
            out.add(make_error(child_name, extends.pos.line, extends.pos.column, "extends",
                               std::move(message), std::move(allowed)));
        };
        if (extends.type != TomlNode::Type::string) {
            error_here(std::string("expected a string (a path relative to this file), found ") +
                       describe(extends.type));
            return std::nullopt;
        }
        if (extends.string.empty()) {
            error_here("must name a file", "a path relative to this file, e.g. \"base.toml\"");
            return std::nullopt;
        }
        if (extends.string.find('\0') != std::string::npos) {
            // The operating system would read the path only up to the NUL: another file.
            error_here("the path contains a NUL character (\\u0000)",
                       "a path without NUL characters");
            return std::nullopt;
        }
        if (depth + 1 > MAX_EXTENDS_DEPTH) {
            error_here("too many levels of 'extends' (more than " +
                           std::to_string(MAX_EXTENDS_DEPTH) + ")",
                       "at most " + std::to_string(MAX_EXTENDS_DEPTH) + " levels");
            return std::nullopt;
        }
        const fs::path parent_path = fs::path(child_name).parent_path() / fs::path(extends.string);
        const std::string parent_name = parent_path.lexically_normal().generic_string();
        parent_shown = parent_name;
        const std::string key = canonical_key(parent_path);
        const auto seen = std::find(chain.begin(), chain.end(), key);
        if (seen != chain.end()) {
            std::string cycle;
            for (auto k = static_cast<std::size_t>(seen - chain.begin()); k < shown.size(); ++k) {
                cycle += shown[k] + " -> ";
            }
            error_here("'extends' forms a cycle: " + cycle + parent_name);
            return std::nullopt;
        }
        std::string why;
        const std::optional<std::string> text = read_scenario_file(parent_path, why);
        if (!text) {
            // The path as it was tried, not tidied ('nodir/../base.toml' fails when nodir does
            // not exist, and 'base.toml' would name a file that is there), and where from.
            error_here("cannot read '" + parent_path.generic_string() + "': " + why,
                       "a path relative to the directory of " + child_name +
                           " (a symbolic link's own directory, not its target's)");
            return std::nullopt;
        }
        chain.push_back(key);
        shown.push_back(parent_name);
        std::optional<TomlNode> parent = load(*text, parent_name, depth + 1);
        chain.pop_back();
        shown.pop_back();
        return parent;
    }
};

} // namespace

bool check_utf8(std::string_view text, const std::string& file_name, Diagnostics& out) {
    // An HDF5 file given where text belongs (`canopy validate posterior.h5`) was "not valid
    // UTF-8: byte 0x89 is a continuation byte": say what it is.
    if (text.substr(0, 8) == std::string_view("\x89HDF\r\n\x1a\n", 8)) {
        out.add(make_error(file_name, 1, 1, "",
                           "the file is HDF5 (a result, sweep result or posterior that canopy "
                           "writes), not text",
                           "UTF-8 text: a scenario, calibration or sweep file (TOML), or a data "
                           "file (CSV)"));
        return false;
    }
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t length = 1;
        const std::string problem = utf8_problem(text, i, length);
        if (!problem.empty()) {
            const auto [line, column] = line_column(text, i);
            out.add(make_error(file_name, line, column, "",
                               "the file is not valid UTF-8: " + problem,
                               "UTF-8 text (save the file as UTF-8)"));
            return false;
        }
        i += length;
    }
    return true;
}

bool prescan_toml(std::string_view text, const std::string& file_name, Diagnostics& out) {
    return Prescan(text, file_name, out).run();
}

std::optional<std::string> read_scenario_file(const fs::path& path, std::string& why) {
    if (path.empty()) {
        // Say so: "no such file" for an empty path (canopy validate "") names nothing.
        why = "the path is empty (\"\"); name a scenario file";
        return std::nullopt;
    }
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
        // A symbolic link loop, a permission denied on a directory on the way, a name too
        // long: say so, rather than "no such file".
        why = ec.message();
        if (ec == std::errc::too_many_symbolic_link_levels) {
            why += " (a symbolic link loop)";
        }
        return std::nullopt;
    }
    if (ec || !fs::exists(status)) {
        why = "no such file";
        return std::nullopt;
    }
    if (fs::is_directory(status)) {
        why = "it is a directory, not a scenario file";
        return std::nullopt;
    }
    if (!fs::is_regular_file(status)) {
        why = "it is not a regular file";
        return std::nullopt;
    }
    const std::uintmax_t size = fs::file_size(path, ec);
    if (ec) {
        why = "cannot read its size (" + ec.message() + ")";
        return std::nullopt;
    }
    if (size > MAX_FILE_BYTES) {
        why = "it is " + std::to_string(size) + " bytes, larger than scenario files may be (" +
              std::to_string(MAX_FILE_BYTES) + " bytes, 4 MiB)";
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        why = "cannot open it for reading";
        return std::nullopt;
    }
    // Read one byte more than the size, to notice a file that grew since its size was taken.
    std::string text(static_cast<std::size_t>(size) + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) {
        why = "reading it failed";
        return std::nullopt;
    }
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > size) {
        why = "it changed while being read";
        return std::nullopt;
    }
    return text;
}

std::optional<TomlNode> load_document(std::string_view text, const std::string& file_name,
                                      SourceFiles& files, Diagnostics& out) {
    Loader loader{files, out, {canonical_key(fs::path(file_name))}, {file_name}};
    return loader.load(text, file_name, 0);
}

} // namespace canopy::engine::detail

namespace canopy::engine {

std::string scenario_content(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    const std::string_view header = detail::FILE_HEADER;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t end = std::min(text.find('\n', at), text.size());
        const std::string_view line = text.substr(at, end - at);
        if (line.starts_with(header)) {
            out += header.substr(0, header.size() - 2); // "# ---- file"
        } else {
            out += line;
        }
        if (end < text.size()) {
            out += '\n';
        }
        at = end + 1;
    }
    return out;
}

} // namespace canopy::engine
