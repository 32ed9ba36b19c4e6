// The parser's messages about a refused value, said more clearly (parse_messages.hpp).
#include <canopy/output/parse_messages.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

TEST_CASE("A refused value is said to be no number, no whole number or out of range",
          "[unit][cli]") {
    // (CLI11's message, what the user reads)
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"--replicates: Value abc not in range 1 to 1000000",
         "--replicates: 'abc' is not a number (allowed: 1 to 1000000)"},
        {"--replicates: Value 2.5 not in range 1 to 1000000",
         "--replicates: '2.5' is not a whole number in digits (allowed: 1 to 1000000)"},
        {"--replicates: Value 1e2 not in range 1 to 1000000",
         "--replicates: '1e2' is not a whole number in digits (allowed: 1 to 1000000)"},
        {"--n: Value nan not in range 8 to 2000000000",
         "--n: 'nan' is not a number (allowed: 8 to 2000000000)"},
        // A number out of range keeps CLI11's words.
        {"--replicates: Value 0 not in range 1 to 1000000",
         "--replicates: Value 0 not in range 1 to 1000000"},
        // A range of doubles: the bounds as they would be written, not with six decimals.
        {"--firms: Value 10 not in range 100.000000 to 2000000000.000000",
         "--firms: Value 10 not in range 100 to 2000000000"},
        {"--precision: Value 2 not in range 0.000001 to 0.500000",
         "--precision: Value 2 not in range 0.000001 to 0.5"},
        {"--precision: Value x not in range 0.000001 to 0.500000",
         "--precision: 'x' is not a number (allowed: 0.000001 to 0.5)"},
        // Anything else is left as it is.
        {"--order: diagonal not in {rcm,natural}", "--order: diagonal not in {rcm,natural}"},
        {"The following argument was not expected: --bogus",
         "The following argument was not expected: --bogus"},
    };
    for (const auto& [parser, said] : cases) {
        INFO(parser);
        CHECK(canopy::output::clearer_parse_message(parser) == said);
    }
}
