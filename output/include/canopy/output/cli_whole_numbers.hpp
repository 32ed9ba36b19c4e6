#pragma once
/// \file cli_whole_numbers.hpp
/// Every whole-number flag of a CLI11 parser read in decimal digits (parse_messages.hpp:
/// whole_number_text): shared by `canopy` and `canopy-bench`, whose parsers call it once every
/// option is added. Header-only, as CLI11 is.

#include <canopy/output/parse_messages.hpp>

#include <CLI/CLI.hpp>

#include <string>

namespace canopy::output {

/// Gives every option of `app` and its subcommands whose values are whole numbers (CLI11's INT
/// and UINT) a transform, run before its other checks, that takes decimal digits only: `-n 010`
/// ran eight replicates and `-n 0x10` sixteen, without a word. What is allowed is read from the
/// option's range check ("INT in [1 - 1000000]"), else "whole numbers in digits".
inline void read_whole_numbers_in_decimal(CLI::App& app) {
    for (CLI::Option* option : app.get_options()) {
        const std::string type = option->get_type_name();
        const std::string base = type.substr(0, type.find(':'));
        if (base != "INT" && base != "UINT") {
            continue;
        }
        std::string allowed = "whole numbers in digits";
        const std::size_t open = type.find(" in [");
        const std::size_t dash = type.find(" - ", open == std::string::npos ? 0 : open);
        const std::size_t close = type.find(']', dash == std::string::npos ? 0 : dash);
        if (open != std::string::npos && dash != std::string::npos && close != std::string::npos) {
            allowed = type.substr(open + 5, dash - open - 5) + " to " +
                      type.substr(dash + 3, close - dash - 3);
        }
        option->transform(CLI::Validator(
            [allowed](std::string& text) { return whole_number_text(text, allowed); },
            std::string{}, "whole number"));
    }
    for (CLI::App* sub : app.get_subcommands({})) {
        read_whole_numbers_in_decimal(*sub);
    }
}

} // namespace canopy::output
