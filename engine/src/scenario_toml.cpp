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

} // namespace

std::optional<TomlNode> parse_toml(std::string_view text, int file_index,
                                   const std::string& file_name, Diagnostics& out) {
    try {
        const toml::table root = toml::parse(text, std::string_view(file_name));
        TomlNode tree = convert(root, file_index, SourcePos{file_index, 1, 1});
        tree.pos = SourcePos{file_index, 1, 1};
        return tree;
    } catch (const toml::parse_error& e) {
        const toml::source_position begin = e.source().begin;
        // "Error while parsing string: encountered end-of-file" reads better as
        // "malformed TOML (string): encountered end-of-file".
        std::string what(e.description());
        const std::string prefix = "Error while parsing ";
        const std::size_t colon = what.find(": ");
        if (what.rfind(prefix, 0) == 0 && colon != std::string::npos) {
            what =
                "(" + what.substr(prefix.size(), colon - prefix.size()) + ")" + what.substr(colon);
        } else {
            what = ": " + what;
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
