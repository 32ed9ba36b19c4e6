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
        // A number out of range: the value and the range, as the tool says other refusals.
        {"--replicates: Value 0 not in range 1 to 1000000",
         "--replicates: 0 is out of range (allowed: 1 to 1000000)"},
        // A range of doubles: the bounds as they would be written, not with six decimals.
        {"--firms: Value 10 not in range 100.000000 to 2000000000.000000",
         "--firms: 10 is out of range (allowed: 100 to 2000000000)"},
        {"--precision: Value 2 not in range 0.000001 to 0.500000",
         "--precision: 2 is out of range (allowed: 0.000001 to 0.5)"},
        {"--precision: Value x not in range 0.000001 to 0.500000",
         "--precision: 'x' is not a number (allowed: 0.000001 to 0.5)"},
        // A value that is none of the choices: quoted, and the choices listed.
        {"--order: diagonal not in {rcm,natural}",
         "--order: 'diagonal' is not one of the choices (allowed: rcm, natural)"},
        {"--interval: clopper not in {wilson,jeffreys}",
         "--interval: 'clopper' is not one of the choices (allowed: wilson, jeffreys)"},
        // Anything else is left as it is.
        {"The following argument was not expected: --bogus",
         "The following argument was not expected: --bogus"},
    };
    for (const auto& [parser, said] : cases) {
        INFO(parser);
        CHECK(canopy::output::clearer_parse_message(parser) == said);
    }
    // A seed's bound is the largest 64-bit number, which a double cannot hold: kept as written,
    // and the number one above it is out of range, not "not whole".
    CHECK(canopy::output::clearer_parse_message(
              "--seed: Value 18446744073709551616 not in range 0 to 18446744073709551615") ==
          "--seed: 18446744073709551616 is out of range (allowed: 0 to 18446744073709551615)");
}

TEST_CASE("A whole-number flag is read in decimal digits", "[unit][cli]") {
    // CLI11 alone read "010" as octal eight and "0x10" as sixteen, without a word.
    const auto read = [](std::string text) {
        const std::string problem = canopy::output::whole_number_text(text, "1 to 100");
        return problem.empty() ? text : problem;
    };
    CHECK(read("010") == "10");
    CHECK(read("0") == "0");
    CHECK(read("000") == "0");
    CHECK(read("-007") == "-7");
    CHECK(read("-0") == "0");
    CHECK(read("42") == "42");
    CHECK(read("0x10") == "'0x10' is not a whole number in digits (allowed: 1 to 100)");
    CHECK(read("+5") == "'+5' is not a whole number in digits (allowed: 1 to 100)");
    CHECK(read("1e3") == "'1e3' is not a whole number in digits (allowed: 1 to 100)");
    CHECK(read("inf") == "'inf' is not a whole number in digits (allowed: 1 to 100)");
    CHECK(read("nan") == "'nan' is not a number (allowed: 1 to 100)");
    CHECK(read("abc") == "'abc' is not a number (allowed: 1 to 100)");
    CHECK(read("") == "'' is not a number (allowed: 1 to 100)");
    CHECK(read("1_000") == "'1_000' is not a number (allowed: 1 to 100)");

    const auto seed = [](std::string text) {
        const std::string problem = canopy::output::seed_problem(text);
        return problem.empty() ? text : problem;
    };
    CHECK(seed("010") == "10");
    CHECK(seed("18446744073709551615") == "18446744073709551615");
    CHECK(seed("18446744073709551616") ==
          "18446744073709551616 is out of range (allowed: 0 to 18446744073709551615, 2^64 - 1)");
    CHECK(seed("-3") == "-3 is out of range (allowed: 0 to 18446744073709551615, 2^64 - 1)");
    CHECK(seed("nan") == "'nan' is not a number (allowed: 0 to 18446744073709551615)");
}
