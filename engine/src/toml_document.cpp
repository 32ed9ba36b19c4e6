// TOML files other than scenarios, read through the scenario loader's guarded stages (input
// checks, UTF-8, pre-scan, toml++) and copied out of its internal tree into TomlValue.
#include "scenario_detail.hpp"

#include <canopy/engine/toml_document.hpp>

#include <exception>

namespace canopy::engine {

namespace {

TomlValue copy_out(const detail::TomlNode& node) {
    TomlValue out;
    out.type = static_cast<TomlValue::Type>(node.type);
    out.line = node.pos.line;
    out.column = node.pos.column;
    out.key_line = node.key_pos.line;
    out.key_column = node.key_pos.column;
    out.key = node.key;
    out.string = node.string;
    out.integer = node.integer;
    out.floating = node.floating;
    out.boolean = node.boolean;
    out.items.reserve(node.items.size());
    for (const detail::TomlNode& item : node.items) {
        out.items.push_back(copy_out(item));
    }
    out.entries.reserve(node.entries.size());
    for (const detail::TomlNode& entry : node.entries) {
        out.entries.push_back(copy_out(entry));
    }
    return out;
}

void internal_error(Diagnostics& diagnostics, const std::string& file, const char* what) {
    diagnostics.add(
        detail::make_error(file, 1, 1, "", std::string("internal error while reading: ") + what));
}

} // namespace

static_assert(static_cast<int>(TomlValue::Type::date_time) ==
                  static_cast<int>(detail::TomlNode::Type::date_time),
              "TomlValue::Type mirrors the loader's node types");

const TomlValue* TomlValue::find(std::string_view name) const {
    for (const TomlValue& entry : entries) {
        if (entry.key == name) {
            return &entry;
        }
    }
    return nullptr;
}

const char* describe(TomlValue::Type type) noexcept {
    return detail::describe(static_cast<detail::TomlNode::Type>(type));
}

bool check_utf8_text(std::string_view text, const std::string& file_name,
                     Diagnostics& diagnostics) {
    return detail::check_utf8(text, file_name, diagnostics);
}

std::optional<TomlValue> parse_toml_text(std::string_view text, const std::string& file_name,
                                         Diagnostics& diagnostics) {
    try {
        if (text.empty()) {
            diagnostics.add(detail::make_error(file_name, 1, 1, "", "the file is empty"));
            return std::nullopt;
        }
        if (text.size() > detail::MAX_FILE_BYTES) {
            diagnostics.add(detail::make_error(
                file_name, 1, 1, "",
                "the file is " + std::to_string(text.size()) + " bytes, larger than allowed",
                "at most " + std::to_string(detail::MAX_FILE_BYTES) + " bytes (4 MiB)"));
            return std::nullopt;
        }
        if (!detail::check_utf8(text, file_name, diagnostics) ||
            !detail::prescan_toml(text, file_name, diagnostics)) {
            return std::nullopt;
        }
        std::optional<detail::TomlNode> root = detail::parse_toml(text, 0, file_name, diagnostics);
        if (!root) {
            return std::nullopt;
        }
        return copy_out(*root);
    } catch (const std::exception& e) {
        internal_error(diagnostics, file_name, e.what());
    } catch (...) {
        internal_error(diagnostics, file_name, "unknown exception");
    }
    return std::nullopt;
}

TomlDocument read_toml_file(const std::filesystem::path& file, Diagnostics& diagnostics) {
    TomlDocument doc;
    const std::string name = file.generic_string();
    try {
        std::string why;
        std::optional<std::string> text = detail::read_scenario_file(file, why);
        if (!text) {
            diagnostics.add(detail::make_error(name, 0, 0, "", "cannot read the file: " + why));
            return doc;
        }
        doc.text = std::move(*text);
        doc.root = parse_toml_text(doc.text, name, diagnostics);
    } catch (const std::exception& e) {
        internal_error(diagnostics, name, e.what());
    } catch (...) {
        internal_error(diagnostics, name, "unknown exception");
    }
    return doc;
}

} // namespace canopy::engine
