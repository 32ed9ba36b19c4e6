// The one translation unit that sees toml++: it parses a checked document and copies it into a
// TomlNode tree, so that toml++ stays out of every header and the rest of the loader can merge
// and validate plain data.
#include "scenario_detail.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <exception>
#include <limits>
#include <sstream>

namespace canopy::engine::detail {

namespace {

int clamp_to_int(std::uint64_t x) {
    constexpr auto MAX = static_cast<std::uint64_t>(std::numeric_limits<int>::max());
    return static_cast<int>(std::min(x, MAX));
}

SourcePos position(const toml::source_position& p, int file) {
    return SourcePos{file, clamp_to_int(p.line), clamp_to_int(p.column)};
}

template <class T>
std::string printed(const T& value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

// Recursion is bounded: the pre-scan rejected nesting deeper than MAX_NESTING.
TomlNode convert(const toml::node& node, int file, SourcePos key_pos) {
    TomlNode out;
    out.pos = position(node.source().begin, file);
    out.key_pos = key_pos;
    switch (node.type()) {
    case toml::node_type::table: {
        out.type = TomlNode::Type::table;
        for (const auto& [key, child] : *node.as_table()) {
            const SourcePos child_key = position(key.source().begin, file);
            out.entries.push_back(convert(child, file, child_key));
            out.entries.back().key = std::string(key.str());
        }
        // toml++ keeps keys sorted by name; diagnostics read better in the file's order.
        std::stable_sort(out.entries.begin(), out.entries.end(), [](const auto& a, const auto& b) {
            const SourcePos& pa = a.key_pos;
            const SourcePos& pb = b.key_pos;
            return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
        });
        break;
    }
    case toml::node_type::array:
        out.type = TomlNode::Type::array;
        for (const toml::node& item : *node.as_array()) {
            out.items.push_back(convert(item, file, position(item.source().begin, file)));
        }
        break;
    case toml::node_type::string:
        out.type = TomlNode::Type::string;
        out.string = node.as_string()->get();
        break;
    case toml::node_type::integer:
        out.type = TomlNode::Type::integer;
        out.integer = node.as_integer()->get();
        out.floating = static_cast<double>(out.integer);
        break;
    case toml::node_type::floating_point:
        out.type = TomlNode::Type::floating;
        out.floating = node.as_floating_point()->get();
        break;
    case toml::node_type::boolean:
        out.type = TomlNode::Type::boolean;
        out.boolean = node.as_boolean()->get();
        break;
    case toml::node_type::date:
        out.type = TomlNode::Type::date;
        out.string = printed(node.as_date()->get());
        break;
    case toml::node_type::time:
        out.type = TomlNode::Type::time;
        out.string = printed(node.as_time()->get());
        break;
    case toml::node_type::date_time:
        out.type = TomlNode::Type::date_time;
        out.string = printed(node.as_date_time()->get());
        break;
    case toml::node_type::none:
        break;
    }
    return out;
}

// ---- a key defined twice ---------------------------------------------------------------------
// toml++ 3.3 names the key of "cannot redefine existing ..." by splicing source text, which
// garbles quoted keys ('"mamax_simulations" ' for "max_simulations"). The key is read here
// instead, from the line toml++ stopped at, and its first definition found in the document
// before that line, which toml++ parsed without error.

void skip_blanks(std::string_view s, std::size_t& i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) {
        ++i;
    }
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// One part of a dotted key at s[i] (bare, "basic" with escapes, or 'literal'), as its name.
std::optional<std::string> read_key_part(std::string_view s, std::size_t& i) {
    std::string name;
    if (i < s.size() && s[i] == '\'') {
        const std::size_t close = s.find('\'', i + 1);
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        name = std::string(s.substr(i + 1, close - i - 1));
        i = close + 1;
        return name;
    }
    if (i < s.size() && s[i] == '"') {
        for (++i; i < s.size() && s[i] != '"'; ++i) {
            if (s[i] != '\\') {
                name += s[i];
                continue;
            }
            if (++i >= s.size()) {
                return std::nullopt;
            }
            const char e = s[i];
            const std::size_t digits = e == 'u' ? 4 : e == 'U' ? 8 : 0;
            if (digits > 0) {
                std::uint32_t cp = 0;
                for (std::size_t k = 1; k <= digits; ++k) {
                    const char h = i + k < s.size() ? s[i + k] : 'x';
                    const int v = h >= '0' && h <= '9'   ? h - '0'
                                  : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                  : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                         : -1;
                    if (v < 0) {
                        return std::nullopt;
                    }
                    cp = cp * 16 + static_cast<std::uint32_t>(v);
                }
                append_utf8(name, cp);
                i += digits;
                continue;
            }
            const std::string_view from = "btnfr\"\\";
            const std::string_view to = "\b\t\n\f\r\"\\";
            const std::size_t k = from.find(e);
            if (k == std::string_view::npos) {
                return std::nullopt;
            }
            name += to[k];
        }
        if (i >= s.size()) {
            return std::nullopt;
        }
        ++i;
        return name;
    }
    const std::size_t start = i;
    while (i < s.size() && is_bare_key_char(s[i])) {
        ++i;
    }
    if (i == start) {
        return std::nullopt;
    }
    return std::string(s.substr(start, i - start));
}

// A dotted key at s[i]: its parts' names; `i` ends past it (and the blanks after it).
std::optional<std::vector<std::string>> read_dotted_key(std::string_view s, std::size_t& i) {
    std::vector<std::string> parts;
    for (;;) {
        skip_blanks(s, i);
        std::optional<std::string> part = read_key_part(s, i);
        if (!part) {
            return std::nullopt;
        }
        parts.push_back(std::move(*part));
        skip_blanks(s, i);
        if (i >= s.size() || s[i] != '.') {
            return parts;
        }
        ++i;
    }
}

// A key path as the loader's diagnostics write it: parts joined by dots, quoted when not bare.
std::string key_path(const std::vector<std::string>& parts) {
    std::string out;
    for (const std::string& p : parts) {
        const bool bare = !p.empty() && std::all_of(p.begin(), p.end(), is_bare_key_char);
        out += (out.empty() ? "" : ".") + (bare ? p : "\"" + p + "\"");
    }
    return out;
}

std::string kind_of(const toml::node& n) {
    switch (n.type()) {
    case toml::node_type::table:
        return "a table";
    case toml::node_type::array:
        return n.as_array()->is_array_of_tables() ? "an array of tables" : "an array";
    case toml::node_type::string:
        return "a string";
    case toml::node_type::integer:
        return "an integer";
    case toml::node_type::floating_point:
        return "a number";
    case toml::node_type::boolean:
        return "a boolean";
    default:
        return "a date or time";
    }
}

// The table a [header] opened last before the line toml++ stopped at: the one whose header
// starts latest (the deepest of those on one line: [a.b] opens a, then a.b).
struct OpenTable {
    const toml::table* table = nullptr;
    std::vector<std::string> path;
    int line = 0;
};

void find_open_table(const toml::table& t, std::vector<std::string>& path,
                     const std::vector<std::string_view>& lines, OpenTable& best) {
    const toml::source_position& at = t.source().begin;
    if (!t.is_inline() && at.line >= 1 && at.line <= lines.size() && at.column >= 1) {
        const std::string_view line = lines[at.line - 1];
        const std::size_t col = at.column - 1;
        const bool header =
            col < line.size() && line[col] == '[' && line.find_first_not_of(" \t") == col;
        const int l = static_cast<int>(at.line);
        if (header && (l > best.line || (l == best.line && path.size() > best.path.size()))) {
            best = OpenTable{&t, path, l};
        }
    }
    for (const auto& [key, child] : t) {
        path.emplace_back(key.str());
        if (const toml::table* sub = child.as_table()) {
            find_open_table(*sub, path, lines, best);
        } else if (const toml::array* a = child.as_array();
                   a != nullptr && a->is_array_of_tables()) {
            for (const toml::node& item : *a) {
                find_open_table(*item.as_table(), path, lines, best);
            }
        }
        path.pop_back();
    }
}

// The lines of `text` without their "\n" or "\r\n" (a text that ends in "\n" ends with an
// empty line); each a view into `text`.
std::vector<std::string_view> text_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start <= text.size();) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view l = text.substr(start, end - start);
        if (!l.empty() && l.back() == '\r') {
            l.remove_suffix(1);
        }
        lines.push_back(l);
        start = end + 1;
    }
    return lines;
}

// A diagnostic for toml++'s "cannot redefine existing ..." at `line_no`, or nothing when the
// line is not a plain key = value or [header] whose first definition can be found.
std::optional<Diagnostic> redefinition(std::string_view text, int line_no,
                                       const std::string& file_name) {
    const std::vector<std::string_view> lines = text_lines(text);
    if (line_no < 1 || static_cast<std::size_t>(line_no) > lines.size()) {
        return std::nullopt;
    }
    const auto line_start =
        static_cast<std::size_t>(lines[static_cast<std::size_t>(line_no - 1)].data() - text.data());
    const std::string_view line = lines[static_cast<std::size_t>(line_no - 1)];
    std::size_t i = 0;
    skip_blanks(line, i);
    const int column = static_cast<int>(i) + 1; // blanks are one byte each
    const bool header = i < line.size() && line[i] == '[';
    const bool array_header = header && i + 1 < line.size() && line[i + 1] == '[';
    i += array_header ? 2 : header ? 1 : 0;
    skip_blanks(line, i);
    const std::size_t key_start = i;
    const std::optional<std::vector<std::string>> parts = read_dotted_key(line, i);
    if (!parts || i >= line.size() || line[i] != (header ? ']' : '=')) {
        return std::nullopt;
    }
    std::string_view written = line.substr(key_start, i - key_start);
    while (!written.empty() && (written.back() == ' ' || written.back() == '\t')) {
        written.remove_suffix(1);
    }

    // The document before this line parsed; where is the key defined in it?
    // The pre-scan again: a prefix cut inside a multi-line value is new text to toml++.
    const std::string_view prefix = text.substr(0, line_start);
    Diagnostics ignored;
    if (!prescan_toml(prefix, file_name, ignored)) {
        return std::nullopt;
    }
    toml::table before;
    try {
        before = toml::parse(prefix);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    OpenTable open{&before, {}, 0};
    if (!header) {
        std::vector<std::string> path;
        find_open_table(before, path, lines, open);
    }
    std::vector<std::string> target = header ? std::vector<std::string>{} : open.path;
    target.insert(target.end(), parts->begin(), parts->end());
    const std::string key = key_path(target);
    const toml::node* node = header ? static_cast<const toml::node*>(&before) : open.table;
    std::vector<std::string> walked = header ? std::vector<std::string>{} : open.path;
    int first_line = 0;
    for (const std::string& part : *parts) {
        if (const toml::array* a = node->as_array(); a != nullptr && a->is_array_of_tables()) {
            node = &a->back(); // [a.b] after [[a]] goes into a's last table
        }
        const toml::table* t = node->as_table();
        if (t == nullptr) {
            return make_error(file_name, line_no, column, key,
                              key_path(walked) + " is already defined at line " +
                                  std::to_string(first_line) + " as " + kind_of(*node) +
                                  ", so no key can be defined under it",
                              "another name, or " + key_path(walked) + " as a table");
        }
        const auto it = t->find(part);
        if (it == t->end()) {
            return std::nullopt; // not defined before after all: leave it to toml++'s message
        }
        first_line = static_cast<int>(it->first.source().begin.line);
        walked.push_back(part);
        node = &it->second;
    }
    if (header && !array_header) {
        // toml++ dates a table from its first mention: `[x.y]` makes x implicitly, so a second
        // `[x]` after a first one would be said to repeat line of `[x.y]`. The first header that
        // names this table itself is the one to point at.
        for (int l = 1; l < line_no; ++l) {
            const std::string_view earlier = lines[static_cast<std::size_t>(l - 1)];
            std::size_t j = 0;
            skip_blanks(earlier, j);
            if (j + 1 >= earlier.size() || earlier[j] != '[' || earlier[j + 1] == '[') {
                continue;
            }
            ++j;
            skip_blanks(earlier, j);
            const std::optional<std::vector<std::string>> named = read_dotted_key(earlier, j);
            if (named && *named == *parts && j < earlier.size() && earlier[j] == ']') {
                first_line = l;
                break;
            }
        }
    }
    const std::string here = array_header ? "an array of tables" : header ? "a table" : "a value";
    const std::string there = kind_of(*node);
    const bool same = header ? there == here : there != "a table" || node->as_table()->is_inline();
    std::string message = same ? "defined twice; first at line " + std::to_string(first_line)
                               : "already defined at line " + std::to_string(first_line) + " as " +
                                     there + "; here as " + here;
    if (written != key_path(*parts)) {
        message += " (written here as " + std::string(written) + ")";
    }
    return make_error(file_name, line_no, column, key, message,
                      header ? "each table once: all its keys under one [header]"
                             : "each key once in a table; a quoted key and a bare one with the "
                               "same name are the same key");
}

// toml++'s message without the key it garbles: "cannot redefine existing integer 'x'" ->
// "cannot redefine an existing integer".
std::string without_key(std::string what) {
    const std::size_t open = what.find(" '");
    const std::size_t close = what.rfind('\'');
    if (open != std::string::npos && close > open + 1) {
        what.erase(open, close - open + 1);
    }
    return what;
}

// The month written after the `=` of line `line` of `text` when it is one without quotes
// (YYYY-MM, perhaps followed by a comment), else empty.
std::string unquoted_month(std::string_view text, int line) {
    const std::vector<std::string_view> lines = text_lines(text);
    if (line < 1 || static_cast<std::size_t>(line) > lines.size()) {
        return {};
    }
    std::string_view row = lines[static_cast<std::size_t>(line - 1)];
    const std::size_t eq = row.find('=');
    if (eq == std::string_view::npos) {
        return {};
    }
    row.remove_prefix(eq + 1);
    while (!row.empty() && (row.front() == ' ' || row.front() == '\t')) {
        row.remove_prefix(1);
    }
    std::size_t digits = 0;
    const auto digit = [&row](std::size_t i) {
        return i < row.size() && row[i] >= '0' && row[i] <= '9';
    };
    while (digit(digits)) {
        ++digits;
    }
    if (digits != 4 || row.size() < 6 || row[4] != '-' || !digit(5)) {
        return {};
    }
    std::size_t end = 6;
    while (digit(end)) {
        ++end;
    }
    if (end > 7) {
        return {};
    }
    std::string_view rest = row.substr(end);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t' || rest.front() == '\r')) {
        rest.remove_prefix(1);
    }
    if (!rest.empty() && rest.front() != '#' && rest.front() != ',' && rest.front() != ']' &&
        rest.front() != '}') {
        return {};
    }
    return std::string(row.substr(0, end));
}

// ---- a number too small for a double -----------------------------------------------------------
// toml++ reads `1e-400` as 0, so `precision = 1e-400` was refused as "got 0" and a key whose 0 is
// allowed took a value nobody wrote. A float that reads as 0 though its digits before the
// exponent are not all zero is reported where it is written.

void find_underflows(const toml::node& node, const std::vector<std::string_view>& lines,
                     const std::string& key, const std::string& file_name, Diagnostics& out) {
    if (const toml::table* t = node.as_table()) {
        for (const auto& [k, child] : *t) {
            find_underflows(child, lines,
                            key.empty() ? std::string(k.str()) : key + "." + std::string(k.str()),
                            file_name, out);
        }
    } else if (const toml::array* a = node.as_array()) {
        std::size_t i = 0;
        for (const toml::node& item : *a) {
            find_underflows(item, lines, key + "[" + std::to_string(i++) + "]", file_name, out);
        }
    } else if (const auto* f = node.as_floating_point(); f != nullptr && f->get() == 0.0) {
        const toml::source_region& where = node.source();
        const auto line = static_cast<std::size_t>(where.begin.line);
        if (line == 0 || line > lines.size()) {
            return;
        }
        // toml++ counts columns in characters: after 计划 on the line a byte offset cut the
        // wrong text (a reviewer's `value = 0.0` was refused as '023', and a 1e-400 passed).
        const std::string_view row = lines[line - 1];
        std::size_t from = 0;
        for (auto chars = where.begin.column; chars > 1 && from < row.size(); --chars) {
            ++from;
            while (from < row.size() && (static_cast<unsigned char>(row[from]) & 0xC0U) == 0x80U) {
                ++from; // a UTF-8 continuation byte: the same character
            }
        }
        std::size_t to = from;
        while (to < row.size() &&
               std::string_view("0123456789+-._eEinfa").find(row[to]) != std::string_view::npos) {
            ++to;
        }
        if (to == from) {
            return;
        }
        const std::string_view literal = row.substr(from, to - from);
        const std::string_view mantissa = literal.substr(0, literal.find_first_of("eE"));
        if (mantissa.find_first_of("123456789") != std::string_view::npos) {
            out.add(make_error(
                file_name, clamp_to_int(where.begin.line), clamp_to_int(where.begin.column), key,
                "'" + std::string(literal) + "' is too small for a number: it would read as 0",
                "0, or a number whose size is at least 1e-300"));
        }
    }
}

} // namespace

std::optional<TomlNode> parse_toml(std::string_view text, int file_index,
                                   const std::string& file_name, Diagnostics& out) {
    try {
        const toml::table root = toml::parse(text, std::string_view(file_name));
        const std::size_t before = out.size();
        find_underflows(root, text_lines(text), "", file_name, out);
        if (out.size() != before) {
            return std::nullopt;
        }
        TomlNode tree = convert(root, file_index, SourcePos{file_index, 1, 1});
        tree.pos = SourcePos{file_index, 1, 1};
        return tree;
    } catch (const toml::parse_error& e) {
        const toml::source_position begin = e.source().begin;
        if (e.description().find("cannot redefine existing") != std::string_view::npos) {
            if (std::optional<Diagnostic> d =
                    redefinition(text, clamp_to_int(begin.line), file_name)) {
                out.add(std::move(*d));
                return std::nullopt;
            }
        }
        // "Error while parsing string: encountered end-of-file" reads better as
        // "malformed TOML (string): encountered end-of-file".
        std::string what(e.description());
        if (what.find("cannot redefine existing") != std::string::npos) {
            what = without_key(std::move(what));
        }
        const std::string prefix = "Error while parsing ";
        const std::size_t colon = what.find(": ");
        if (what.rfind(prefix, 0) == 0 && colon != std::string::npos) {
            what =
                "(" + what.substr(prefix.size(), colon - prefix.size()) + ")" + what.substr(colon);
        } else {
            what = ": " + what;
        }
        // `at = 2023-12` is a month without quotes, which TOML reads as a date cut short:
        // "malformed TOML (date): expected '-', saw '\n'" said nothing of the quotes.
        if (what.rfind("(date", 0) == 0) {
            if (const std::string month = unquoted_month(text, clamp_to_int(begin.line));
                !month.empty()) {
                what += "; a month is a string in quotes: \"" + month + "\"";
            }
        }
        out.add(make_error(file_name, std::max(1, clamp_to_int(begin.line)),
                           std::max(1, clamp_to_int(begin.column)), "", "malformed TOML " + what));
    } catch (const std::exception& e) {
        out.add(
            make_error(file_name, 1, 1, "", "could not parse the file: " + std::string(e.what())));
    }
    return std::nullopt;
}

} // namespace canopy::engine::detail
