// Every kind of mistake a planner can make yields its exact diagnostic: file, line, column,
// dotted key, message, what is allowed and the nearest valid name.
#include "fake_catalog.hpp"

#include <canopy/engine/scenario.hpp>

#include <catch2/catch.hpp>

using namespace canopy::engine;
using canopy::test::MINIMAL;

namespace {

constexpr int L = canopy::test::MINIMAL_LINES; // appended text starts on line L + 1

struct Expected {
    int line;
    int column;
    std::string key;
    std::string message;
    std::string allowed = "?"; // "?": not checked
    std::string hint = "?";
};

void check(const Diagnostic& d, const Expected& e) {
    INFO(d.format());
    CHECK(d.file == "test.toml");
    CHECK(d.line == e.line);
    CHECK(d.column == e.column);
    CHECK(d.key == e.key);
    CHECK(d.message == e.message);
    if (e.allowed != "?") {
        CHECK(d.allowed == e.allowed);
    }
    if (e.hint != "?") {
        CHECK(d.hint == e.hint);
    }
}

// The text yields exactly one error, as expected, and no scenario.
void expect_one(std::string_view text, const Expected& e) {
    const LoadResult r = canopy::test::load(text);
    const auto errors = canopy::test::errors(r);
    INFO(r.diagnostics.format());
    CHECK_FALSE(r.scenario.has_value());
    REQUIRE(errors.size() == 1);
    check(errors[0], e);
}

std::string with(std::string_view extra) {
    return std::string(MINIMAL) + std::string(extra);
}

// A valid scenario header with one key of [scenario] replaced.
std::string scenario_with(std::string_view line) {
    std::string text = R"([scenario]
name = "t"
model = "toy"
start = "2023-01"
end = "2023-12"
)";
    text += line;
    text += "\n[baseline.firms_initial]\nvalue = 1000\nsource = \"s\"\n"
            "[baseline.talent_initial]\nvalue = 50\nsource = \"s\"\n";
    return text;
}

std::string replaced(std::string text, std::string_view from, std::string_view to) {
    const std::size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

const char* INDICATORS = R"(
[indicators.firms_end]
kind = "stock"
series = "firms"
at = "2023-12"
)"; // a blank line L + 1, the table on L + 2 .. L + 5: what follows starts on L + 6

} // namespace

TEST_CASE("malformed TOML reports toml++'s message at its position", "[scenario]") {
    expect_one(with("[levers.tech_loans\nvalue = 3\n"),
               {L + 1, 19, "", "malformed TOML (table header): expected ']', saw '\\n'"});
    expect_one(with("x = = 1\n"),
               {L + 1, 5, "", "malformed TOML (value): could not determine value type"});
}

TEST_CASE("a key defined twice is named as the user wrote it, with its first line", "[scenario]") {
    // toml++ names such a key by splicing source text ('"vavalue" ' for "value"): the loader
    // reads the key itself and finds where it was first defined.
    const std::string key_once = "each key once in a table; a quoted key and a bare one with "
                                 "the same name are the same key";
    expect_one(
        with("[levers.tech_loans]\n\"value\" = 3\n\"value\" = 4\n"),
        {L + 3, 1, "levers.tech_loans.value",
         "defined twice; first at line " + std::to_string(L + 2) + " (written here as \"value\")",
         key_once});
    expect_one(with("[levers]\ntech_loans.\"value\" = 3\n  tech_loans.value = 4\n"),
               {L + 3, 3, "levers.tech_loans.value",
                "defined twice; first at line " + std::to_string(L + 2), key_once});
    expect_one(with("[levers]\n'a b'.c = 3\n\"a b\".\"c\" = 4\n"),
               {L + 3, 1, "levers.\"a b\".c",
                "defined twice; first at line " + std::to_string(L + 2) +
                    " (written here as \"a b\".\"c\")",
                key_once});
    expect_one(with("[levers.tech_loans]\nvalue = 3\n[levers.\"tech_loans\"]\n"),
               {L + 3, 1, "levers.tech_loans",
                "defined twice; first at line " + std::to_string(L + 1) +
                    " (written here as levers.\"tech_loans\")",
                "each table once: all its keys under one [header]"});
    // [levers.a.b] makes levers.a implicitly; the table repeated is the one [levers.a] names.
    expect_one(with("[levers.a.b]\nc = 1\n[levers.a]\nd = 2\n[levers.a]\n"),
               {L + 5, 1, "levers.a", "defined twice; first at line " + std::to_string(L + 3),
                "each table once: all its keys under one [header]"});
    expect_one(with("[levers]\nx = 3\nx.y = 4\n"),
               {L + 3, 1, "levers.x.y",
                "levers.x is already defined at line " + std::to_string(L + 2) +
                    " as an integer, so no key can be defined under it",
                "another name, or levers.x as a table"});
    // A key toml++ finds twice where the loader cannot follow (inside an inline table): its
    // message, without the garbled name.
    expect_one(
        with("x = {\"a\" = 1, \"a\" = 2}\n"),
        {L + 1, 21, "", "malformed TOML (key-value pair): cannot redefine existing integer"});
}

TEST_CASE("a section of the wrong type is said once", "[scenario]") {
    // `levers = 3` was said twice: by the levers' section and again by the budget's look at the
    // levers' costs.
    expect_one("levers = 3\n" + std::string(MINIMAL),
               {1, 10, "levers", "expected a table, found an integer"});
}

TEST_CASE("a truncated file reports where it ends", "[scenario]") {
    std::string text = MINIMAL;
    text.resize(text.size() - 2); // cut off the closing quote and the newline
    expect_one(text, {L, 12, "", "malformed TOML (string): encountered end-of-file"});
}

TEST_CASE("invalid UTF-8 is reported at the offending byte", "[scenario]") {
    // "café" saved as Latin-1: 0xE9 starts a three-byte sequence that never comes.
    expect_one(with("[levers.tech_loans]\nvalue = 3\nsource = \"caf\xE9\"\n"),
               {L + 3, 14, "",
                "the file is not valid UTF-8: incomplete multi-byte sequence starting with byte "
                "0xE9",
                "UTF-8 text (save the file as UTF-8)"});
    expect_one(with("# \xED\xA0\x80\n"),
               {L + 1, 3, "",
                "the file is not valid UTF-8: encoded surrogate (U+D800..U+DFFF are not "
                "characters)"});
    expect_one(with("# \xC0\xAF\n"),
               {L + 1, 3, "", "the file is not valid UTF-8: overlong encoding (byte 0xC0)"});
    expect_one(with("# \xF4\x90\x80\x80\n"),
               {L + 1, 3, "", "the file is not valid UTF-8: code point beyond U+10FFFF"});
    // A posterior or result given where a scenario belongs: said as what it is, not as its
    // first byte (0x89, "a continuation byte with no character to continue").
    expect_one(std::string("\x89HDF\r\n\x1a\n\x02\x08\x08", 11),
               {1, 1, "",
                "the file is HDF5 (a result, sweep result or posterior that canopy writes), not "
                "text"});
}

TEST_CASE("shapes that crash toml++ are rejected before it sees them", "[scenario]") {
    expect_one(with("[[[levers]]]\n"),
               {L + 1, 3, "", "a table header must start with a key, as in [name] or [[name]]"});
    expect_one(with("[\n"),
               {L + 1, 2, "", "a table header must start with a key, as in [name] or [[name]]"});
    expect_one(with("[levers.tech_loans]\nvaleur_é = 3\n"),
               {L + 2, 8, "", "non-ASCII character outside a string or comment"});
    expect_one(with("[\xC3\xA9]\n"),
               {L + 1, 2, "", "non-ASCII character outside a string or comment"});
    // Appended to MINIMAL, x sits in [baseline.talent_initial], two levels down: the 31st '['
    // (column 4 + 31) opens level 33.
    expect_one(with("x = " + std::string(40, '[') + "\n"),
               {L + 1, 35, "", "tables, arrays and inline tables nest more than 32 levels deep",
                "at most 32 levels of nesting"});
    std::string deep_key = "[levers]\nx";
    for (int i = 0; i < 40; ++i) {
        deep_key += ".k";
    }
    expect_one(with(deep_key + " = 1\n"),
               {L + 2, 1, "", "tables, arrays and inline tables nest more than 32 levels deep"});
    // Found by fuzzing: three more shapes toml++ asserts on.
    expect_one(with("x = [1, }\n"), {L + 1, 9, "", "'}' cannot close an array"});
    expect_one(with("x = 1979-05-27T:32:00\n"),
               {L + 1, 16, "", "a date-time needs a time after 'T'"});
    expect_one(with("x = [1979-05-27 1, 2]\n"),
               {L + 1, 17, "", "a date followed by a space and a lone digit"});
    // ... while the valid forms of the same tokens pass the pre-scan.
    const LoadResult dates = canopy::test::load(with("[levers.tech_loans]\nvalue = 3\nsource = "
                                                     "\"s\"\nnote = 1979-05-27 07:32:00\n"));
    CHECK(canopy::test::errors(dates).at(0).message == "expected a string, found a date-time");
    // Non-ASCII inside strings and comments is fine.
    const LoadResult ok = canopy::test::load(
        with("# 武汉 comment\n[levers.tech_loans]\nvalue = 3 # 注释\nsource = \"武汉市科技局\"\n"));
    INFO(ok.diagnostics.format());
    CHECK(ok.scenario.has_value());
}

TEST_CASE("a wrong type says what was expected and what was found", "[scenario]") {
    expect_one(scenario_with("replicates = \"many\""),
               {6, 14, "scenario.replicates", "expected an integer, found a string"});
    expect_one(scenario_with("seed = 1.5"),
               {6, 8, "scenario.seed", "expected an integer, found a floating-point number"});
    expect_one(with("[levers.tech_loans]\nvalue = \"3\"\nsource = \"s\"\n"),
               {L + 2, 9, "levers.tech_loans.value", "expected a number, found a string"});
    expect_one(with("[levers]\ntech_loans = 3\n"),
               {L + 2, 14, "levers.tech_loans",
                "expected a table ([levers.tech_loans] with the lever's keys), found an integer"});
    expect_one(with("[parameters.exit_rate]\nvalue = nan\nsource = \"s\"\n"),
               {L + 2, 9, "parameters.exit_rate.value", "expected a finite number, found nan"});
}

TEST_CASE("values outside their range are errors that say the range", "[scenario]") {
    expect_one(with("[parameters.exit_rate]\nvalue = 1.5\nsource = \"s\"\n"),
               {L + 2, 9, "parameters.exit_rate.value",
                "1.5 is outside the allowed range [0, 1] of 'exit_rate'", "[0, 1]"});
    expect_one(with("[parameters.leader_quota]\nvalue = 2.5\nsource = \"s\"\n"),
               {L + 2, 9, "parameters.leader_quota.value",
                "'leader_quota' takes whole numbers only, got 2.5", "a whole number in [0, 100]"});
    expect_one(with("[levers.cert_reward]\nschedule = \"step\"\ninitial = 100\n"
                    "steps = [{ at = \"2023-06\", value = 2000 }]\nsource = \"s\"\n"),
               {L + 4, 36, "levers.cert_reward.steps[0].value",
                "2000 is outside the allowed range [0, 1000] of lever 'cert_reward'", "[0, 1000]"});
    expect_one(scenario_with("replicates = 0"),
               {6, 14, "scenario.replicates", "replicates must be between 1 and 1000000, got 0",
                "1 .. 1000000"});
    expect_one(scenario_with("seed = -3"),
               {6, 8, "scenario.seed", "the seed must not be negative, got -3"});
    expect_one(with("[levers.tech_loans]\nvalue = 3\ncost_per_unit_year = -1\nsource = \"s\"\n"),
               {L + 3, 22, "levers.tech_loans.cost_per_unit_year",
                "a cost must not be negative, got -1", "a number >= 0"});
}

TEST_CASE("a number too small for a double is refused as written, not read as 0", "[scenario]") {
    // toml++ reads 1e-400 as 0: `precision = 1e-400` was refused as "got 0", and where 0 is
    // allowed the scenario took a value nobody wrote.
    expect_one(scenario_with("precision = 1e-400"),
               {6, 13, "scenario.precision",
                "'1e-400' is too small for a number: it would read as 0",
                "0, or a number whose size is at least 1e-300"});
    expect_one(
        with("[levers.tech_loans]\nvalue = 3\ncost_per_unit_year = -2.5e-999\nsource = \"s\"\n"),
        {L + 3, 22, "levers.tech_loans.cost_per_unit_year",
         "'-2.5e-999' is too small for a number: it would read as 0"});
    // Zeros however written are zeros.
    for (const char* zero : {"0.0", "-0.0", "0e-999", "0.000e5", "+0.0"}) {
        INFO(zero);
        const LoadResult r = canopy::test::load(
            with(std::string("[levers.tech_loans]\nvalue = 3\ncost_per_unit_year = ") + zero +
                 "\nsource = \"s\"\n"));
        INFO(r.diagnostics.format());
        CHECK(r.scenario.has_value());
    }
}

TEST_CASE("a distribution must fit the parameter's range", "[scenario]") {
    expect_one(with("[parameters.exit_rate]\ndistribution = \"normal\"\nmean = 0.1\nsd = 0.02\n"
                    "source = \"s\"\n"),
               {L + 2, 16, "parameters.exit_rate.distribution",
                "a normal distribution on (-inf, inf) can fall outside the allowed range [0, 1] "
                "of 'exit_rate'",
                "for [0, 1]: uniform or triangular with bounds inside it, beta (on [0, 1])"});
    expect_one(with("[parameters.loan_multiplier]\ndistribution = \"uniform\"\nlow = -1\n"
                    "high = 2\nsource = \"s\"\n"),
               {L + 2, 16, "parameters.loan_multiplier.distribution",
                "a uniform distribution on [-1, 2] can fall outside the allowed range [0, inf) of "
                "'loan_multiplier'",
                "for [0, inf): uniform or triangular with bounds inside it, beta (on [0, 1]), "
                "lognormal (on (0, inf)), gamma (on [0, inf))"});
    expect_one(with("[parameters.exit_rate]\ndistribution = \"uniform\"\nlow = 0.3\nhigh = 0.1\n"
                    "source = \"s\"\n"),
               {L + 4, 8, "parameters.exit_rate.high", "high (0.1) must exceed low (0.3)"});
    expect_one(with("[parameters.exit_rate]\ndistribution = \"betta\"\nsource = \"s\"\n"),
               {L + 2, 16, "parameters.exit_rate.distribution", "unknown distribution 'betta'",
                "uniform, normal, lognormal, beta, gamma, triangular", "did you mean 'beta'?"});
    expect_one(with("[parameters.exit_rate]\ndistribution = \"beta\"\nalpha = 2\nsource = \"s\"\n"),
               {L + 1, 1, "parameters.exit_rate.beta", "missing required key 'beta'"});
    expect_one(with("[parameters.exit_rate]\nvalue = 0.1\ndistribution = \"beta\"\nalpha = 2\n"
                    "beta = 3\nsource = \"s\"\n"),
               {L + 3, 1, "parameters.exit_rate.distribution",
                "give either 'value' or 'distribution', not both"});
}

TEST_CASE("a distribution's field beside a fixed value does not apply", "[scenario]") {
    // It used to be accepted and ignored: `value = 2000, low = 100, high = 200` ran at 2000.
    const std::string allowed = "value, distribution, unit, source, assumption, note";
    for (const char* field : {"low", "high", "mean", "sd", "median", "sigma", "alpha", "beta",
                              "shape", "scale", "mode"}) {
        INFO(field);
        const std::string line = std::string(field) + " = 0.2\n";
        expect_one(with("[parameters.exit_rate]\nvalue = 0.1\n" + line + "source = \"s\"\n"),
                   {L + 3, 1, std::string("parameters.exit_rate.") + field,
                    std::string("'") + field + "' does not apply to a fixed value", allowed, ""});
        expect_one(replaced(MINIMAL, "value = 50\n", "value = 50\n" + line),
                   {11, 1, std::string("baseline.talent_initial.") + field,
                    std::string("'") + field + "' does not apply to a fixed value", allowed, ""});
        expect_one(with("[policy_mixes.m.parameters.exit_rate]\nvalue = 0.1\n" + line +
                        "assumption = \"a\"\n"),
                   {L + 3, 1, std::string("policy_mixes.m.parameters.exit_rate.") + field,
                    std::string("'") + field + "' does not apply to a fixed value", allowed, ""});
    }
}

TEST_CASE("an unknown key suggests the nearest allowed one", "[scenario]") {
    expect_one(with("[levers.tech_loans]\nvalue = 3\nsource = \"s\"\ncost_per_unit_yaer = 1\n"),
               {L + 4, 1, "levers.tech_loans.cost_per_unit_yaer",
                "unknown key 'cost_per_unit_yaer'",
                "schedule, cost_per_unit_year, cost_per_unit_added, cost_per_outcome, "
                "cost_outcome, cost_unit, unit, source, assumption, note, value",
                "did you mean 'cost_per_unit_year'?"});
    expect_one(scenario_with("replicate = 5"),
               {6, 1, "scenario.replicate", "unknown key 'replicate'",
                "name, title, description, model, start, end, seed, time_step, replicates, "
                "precision, posterior, posterior_parameters, policy_start",
                "did you mean 'replicates'?"});
    expect_one(
        with("[indicator.x]\nkind = \"stock\"\n"),
        {L + 1, 2, "indicator", "unknown key 'indicator'", "?", "did you mean 'indicators'?"});
    // A key of another shape says it does not apply, rather than that it is unknown.
    expect_one(with("[levers.tech_loans]\nvalue = 3\ninitial = 2\nsource = \"s\"\n"),
               {L + 3, 1, "levers.tech_loans.initial",
                "'initial' does not apply to a constant schedule",
                "schedule, cost_per_unit_year, cost_per_unit_added, cost_per_outcome, "
                "cost_outcome, cost_unit, unit, source, assumption, note, value",
                ""});
}

TEST_CASE("a missing required key is reported at its table", "[scenario]") {
    expect_one(with(std::string(INDICATORS) + "[targets.firms_end]\nsource = \"plan\"\n"),
               {L + 6, 1, "targets.firms_end.threshold", "missing required key 'threshold'"});
    expect_one(R"([scenario]
name = "t"
model = "toy"
end = "2023-12"
[baseline.firms_initial]
value = 1000
source = "s"
[baseline.talent_initial]
value = 50
source = "s"
)",
               {1, 1, "scenario.start", "missing required key 'start'", "a month \"YYYY-MM\""});
    expect_one(R"([scenario]
name = "t"
model = "toy"
start = "2023-01"
end = "2023-12"
[baseline.firms_initial]
value = 1000
source = "s"
)",
               {6, 1, "baseline.talent_initial",
                "missing baseline figure 'talent_initial': model 'toy' needs every baseline "
                "figure, each with its source",
                "[baseline.talent_initial] with value (thousand people) and source or "
                "assumption"});
    expect_one("[levers.tech_loans]\nvalue = 3\nsource = \"s\"\n",
               {1, 1, "scenario", "missing required table [scenario]"});
}

TEST_CASE("every figure needs a source or an assumption", "[scenario]") {
    expect_one(with("[parameters.exit_rate]\nvalue = 0.1\n"),
               {L + 1, 1, "parameters.exit_rate.source",
                "missing 'source' or 'assumption': every figure needs a citation or the reasoning "
                "behind it"});
    expect_one(with("[parameters.exit_rate]\nvalue = 0.1\nsource = \"a\"\nassumption = \"b\"\n"),
               {L + 4, 1, "parameters.exit_rate.assumption",
                "give either 'source' or 'assumption', not both"});
    expect_one(with("[parameters.exit_rate]\nvalue = 0.1\nsource = \"  \"\n"),
               {L + 3, 10, "parameters.exit_rate.source", "the source is empty"});
    expect_one(with(std::string(INDICATORS) + "[targets.firms_end]\nthreshold = 5\n"),
               {L + 6, 1, "targets.firms_end.source",
                "missing 'source' or 'assumption': every figure needs a citation or the reasoning "
                "behind it"});
}

TEST_CASE("dates must be months inside the run", "[scenario]") {
    expect_one(with("[indicators.x]\nkind = \"stock\"\nseries = \"firms\"\nat = \"2023-6\"\n"),
               {L + 4, 6, "indicators.x.at", "'2023-6' is not a month",
                "\"YYYY-MM\" with a month 01..12, e.g. \"2023-06\""});
    expect_one(
        with("[indicators.x]\nkind = \"stock\"\nseries = \"firms\"\nat = 2023-06-01\n"),
        {L + 4, 6, "indicators.x.at", "expected a month as a string \"YYYY-MM\", found a date"});
    expect_one(with("[indicators.x]\nkind = \"stock\"\nseries = \"firms\"\nat = \"2024-01\"\n"),
               {L + 4, 6, "indicators.x.at", "2024-01 is outside the run (2023-01 .. 2023-12)",
                "2022-12 .. 2023-12 (2022-12: the initial state)"});
    expect_one(with("[indicators.x]\nkind = \"flow\"\nseries = \"births\"\nfrom = \"2022-12\"\n"
                    "to = \"2023-06\"\n"),
               {L + 4, 8, "indicators.x.from", "2022-12 is outside the run (2023-01 .. 2023-12)",
                "2023-01 .. 2023-12"});
    // A growth's base month comes before its `at`, so before the run's last month whatever
    // `at` says (an outside tester's was told the run's whole span beside a bad `at`).
    expect_one(with("[indicators.x]\nkind = \"growth\"\nseries = \"firms\"\nfrom = \"2024-02\"\n"
                    "at = \"2023-09\"\n"),
               {L + 4, 8, "indicators.x.from", "2024-02 is outside the run (2023-01 .. 2023-12)",
                "2022-12 .. 2023-08 (2022-12: the initial state)"});
    expect_one(
        with("[indicators.x]\nkind = \"flow\"\nseries = \"births\"\nfrom = \"2023-06\"\n"
             "to = \"2023-03\"\n"),
        {L + 5, 6, "indicators.x.to", "the period ends (2023-03) before it starts (2023-06)"});
    expect_one(replaced(scenario_with(""), "end = \"2023-12\"", "end = \"2022-11\""),
               {5, 7, "scenario.end", "the run ends (2022-11) before it starts (2023-01)"});
    // The initial state is the month before the start: it must be a month a target can name.
    expect_one(replaced(replaced(scenario_with(""), "start = \"2023-01\"", "start = \"0001-01\""),
                        "end = \"2023-12\"", "end = \"0001-12\""),
               {4, 9, "scenario.start",
                "the initial state would be the month before 0001-01, which is not a month",
                "a month from \"0001-02\" on"});
    expect_one(with("[levers.tech_loans]\nschedule = \"piecewise_linear\"\npoints = [\n"
                    "  { at = \"2023-06\", value = 1 },\n  { at = \"2023-02\", value = 2 },\n]\n"
                    "source = \"s\"\n"),
               {L + 5, 10, "levers.tech_loans.points[1].at",
                "2023-02 is not after the previous point's 2023-06",
                "points in increasing date order"});
}

TEST_CASE("unknown series and indicators suggest the nearest", "[scenario]") {
    expect_one(with("[indicators.x]\nkind = \"flow\"\nseries = \"birth\"\nfrom = \"2023-01\"\n"
                    "to = \"2023-12\"\n"),
               {L + 3, 10, "indicators.x.series", "model 'toy' has no series 'birth'",
                "births, tech_contract_turnover", "did you mean 'births'?"});
    expect_one(with("[indicators.x]\nkind = \"flow\"\nseries = \"firms\"\nfrom = \"2023-01\"\n"
                    "to = \"2023-12\"\n"),
               {L + 3, 10, "indicators.x.series",
                "series 'firms' is a stock; a flow indicator needs a flow series",
                "births, tech_contract_turnover"});
    expect_one(with(std::string(INDICATORS) +
                    "[targets.t]\nindicator = \"firm_end\"\nthreshold = 1\nsource = \"s\"\n"),
               {L + 7, 13, "targets.t.indicator", "there is no indicator 'firm_end'", "firms_end",
                "did you mean 'firms_end'?"});
    expect_one(
        with(std::string(INDICATORS) + "[targets.firms_ends]\nthreshold = 1\nsource = \"s\"\n"),
        {L + 6, 1, "targets.firms_ends.indicator",
         "there is no indicator 'firms_ends' (a target compares the indicator with its own "
         "id unless 'indicator' names another)",
         "firms_end", "did you mean 'firms_end'?"});
    expect_one(with(std::string(INDICATORS) +
                    "[indicators.r]\nkind = \"ratio\"\nnumerator = \"firms_end\"\n"
                    "denominator = \"firm_end\"\n"),
               {L + 9, 15, "indicators.r.denominator", "there is no indicator 'firm_end'",
                "firms_end", "did you mean 'firms_end'?"});
    expect_one(with(std::string(INDICATORS) +
                    "[indicators.r]\nkind = \"ratio\"\nnumerator = \"r\"\n"
                    "denominator = \"firms_end\"\n"),
               {L + 8, 13, "indicators.r.numerator", "ratio 'r' cannot refer to itself"});
}

TEST_CASE("ratio indicators must not form a cycle", "[scenario]") {
    expect_one(
        with(std::string(INDICATORS) + R"(
[indicators.a]
kind = "ratio"
numerator = "b"
denominator = "firms_end"

[indicators.b]
kind = "ratio"
numerator = "firms_end"
denominator = "c"

[indicators.c]
kind = "ratio"
numerator = "a"
denominator = "firms_end"
)"),
        {L + 9, 13, "indicators.a.numerator", "ratio indicators form a cycle: a -> b -> c -> a"});
    // A change's input is a reference like a ratio's.
    expect_one(with(std::string(INDICATORS) + R"(
[indicators.rise]
kind = "change"
of = "share"
from = "2023-06"

[indicators.share]
kind = "ratio"
numerator = "rise"
denominator = "firms_end"
)"),
               {L + 9, 6, "indicators.rise.of",
                "ratio and change indicators form a cycle: rise -> share -> rise"});
}

TEST_CASE("a change's base month is one at which its input has a value, not after it is read",
          "[scenario]") {
    // A change of a growth before the growth's base was NaN in every replicate, and a base after
    // the month the input is read at made a change that runs backwards; both loaded silently.
    expect_one(with(std::string(INDICATORS) + R"(
[indicators.g]
kind = "growth"
series = "firms"
from = "2023-03"
at = "2023-09"

[indicators.x]
kind = "change"
of = "g"
from = "2023-01"
)"),
               {L + 16, 8, "indicators.x.from", "2023-01 is before 'g' has a value (from 2023-03)",
                "a month from 2023-03 to 2023-09"});
    expect_one(with(std::string(INDICATORS) + R"(
[indicators.mid]
kind = "stock"
series = "firms"
at = "2023-06"

[indicators.x]
kind = "change"
of = "mid"
from = "2023-09"
)"),
               {L + 15, 8, "indicators.x.from",
                "2023-09 is after the month 'mid' is read at (2023-06): the change would run "
                "backwards",
                "a month from 2022-12 to 2023-06"});
}

TEST_CASE("a change indicator names another indicator and a base month in the run", "[scenario]") {
    expect_one(with(std::string(INDICATORS) +
                    "[indicators.r]\nkind = \"change\"\nof = \"firm_end\"\nfrom = \"2023-06\"\n"),
               {L + 8, 6, "indicators.r.of", "there is no indicator 'firm_end'", "firms_end",
                "did you mean 'firms_end'?"});
    expect_one(with(std::string(INDICATORS) +
                    "[indicators.r]\nkind = \"change\"\nof = \"r\"\nfrom = \"2023-06\"\n"),
               {L + 8, 6, "indicators.r.of", "change 'r' cannot refer to itself"});
    expect_one(
        with(std::string(INDICATORS) + "[indicators.r]\nkind = \"change\"\nof = \"firms_end\"\n"),
        {L + 6, 1, "indicators.r.from", "missing required key 'from'"});
    expect_one(
        with(std::string(INDICATORS) + "[indicators.r]\nkind = \"change\"\nfrom = \"2023-06\"\n"),
        {L + 6, 1, "indicators.r.of", "missing required key 'of'", "an indicator id: firms_end"});
    expect_one(with(std::string(INDICATORS) + "[indicators.r]\nkind = \"change\"\n"
                                              "of = \"firms_end\"\nfrom = \"2023-06\"\n"
                                              "series = \"firms\"\n"),
               {L + 10, 1, "indicators.r.series", "'series' does not apply to a change indicator"});
}

TEST_CASE("a target's comparison is one of four", "[scenario]") {
    expect_one(with(std::string(INDICATORS) +
                    "[targets.firms_end]\ncomparison = \"=>\"\nthreshold = 1\nsource = \"s\"\n"),
               {L + 7, 14, "targets.firms_end.comparison", "unknown comparison '=>'",
                "\">\", \">=\", \"<\", \"<=\""});
}

TEST_CASE("an unknown model suggests the nearest", "[scenario]") {
    expect_one(replaced(scenario_with(""), "model = \"toy\"", "model = \"tyo\""),
               {3, 9, "scenario.model", "unknown model 'tyo'", "toy", "did you mean 'toy'?"});
}

TEST_CASE("names must be the model's and snake_case", "[scenario]") {
    expect_one(with("[levers.tech_loan]\nvalue = 3\nsource = \"s\"\n"),
               {L + 1, 9, "levers.tech_loan", "model 'toy' has no lever 'tech_loan'",
                "tech_loans, talent_subsidy, cert_reward", "did you mean 'tech_loans'?"});
    expect_one(with("[parameters.firms_initial]\nvalue = 3\nsource = \"s\"\n"),
               {L + 1, 13, "parameters.firms_initial",
                "'firms_initial' is a baseline figure, not a parameter; set it in "
                "[baseline.firms_initial]"});
    expect_one(
        with("[indicators.FirmsEnd]\nkind = \"stock\"\nseries = \"firms\"\nat = \"2023-12\"\n"),
        {L + 1, 13, "indicators.FirmsEnd", "'FirmsEnd' is not a valid indicator id",
         "snake_case: a lowercase letter, then lowercase letters, digits or '_'"});
}

TEST_CASE("a policy mix may only name the model's levers", "[scenario]") {
    expect_one(with("[policy_mixes.more]\ndescription = \"more\"\n"
                    "[policy_mixes.more.levers.tech_loan]\nscale = 2\n"),
               {L + 3, 27, "policy_mixes.more.levers.tech_loan",
                "model 'toy' has no lever 'tech_loan'", "tech_loans, talent_subsidy, cert_reward",
                "did you mean 'tech_loans'?"});
    expect_one(with("[policy_mixes.more.levers.cert_reward]\nscale = 20\n"),
               {L + 2, 9, "policy_mixes.more.levers.cert_reward.scale",
                "scaling by 20 takes lever 'cert_reward' to 2000, outside its allowed range [0, "
                "1000]"});
    expect_one(with("[policy_mixes.more.levers.tech_loans]\nscale = 2\nvalue = 3\n"),
               {L + 3, 1, "policy_mixes.more.levers.tech_loans.value",
                "'value' does not apply to a lever scaled with 'scale' (give either 'scale' or a "
                "schedule)"});
}

TEST_CASE("validation reports every problem, not just the first", "[scenario]") {
    const LoadResult r = canopy::test::load(R"([scenario]
name = "Bad"
model = "toy"
start = "2023-01"
end = "2023-12"
replicates = 0
[baseline.firms_initial]
value = -1
source = "s"
[levers.tech_loans]
value = 3
[targets.x]
threshold = 1
source = "s"
)");
    const auto errors = canopy::test::errors(r);
    INFO(r.diagnostics.format());
    REQUIRE(errors.size() == 6);
    CHECK(errors[0].key == "scenario.name");
    CHECK(errors[1].key == "scenario.replicates");
    CHECK(errors[2].key == "baseline.firms_initial.value");
    CHECK(errors[3].key == "baseline.talent_initial");
    CHECK(errors[4].key == "levers.tech_loans.source");
    CHECK(errors[5].key == "targets.x.indicator");
    CHECK_FALSE(r.scenario.has_value());
}

TEST_CASE("a file wrong everywhere lists the first 100 errors and counts the rest", "[scenario]") {
    // 300 targets naming missing indicators, among 40 valid indicators: 300 errors.
    std::string text = MINIMAL;
    for (int i = 0; i < 40; ++i) {
        text += "[indicators.i" + std::to_string(i) +
                "]\nkind = \"stock\"\nseries = \"firms\"\nat = \"2023-12\"\n";
    }
    for (int i = 0; i < 300; ++i) {
        text += "[targets.t" + std::to_string(i) + "]\nindicator = \"missing" + std::to_string(i) +
                "\"\nthreshold = 1\nsource = \"s\"\n";
    }
    const LoadResult r = canopy::test::load(text);
    const auto errors = canopy::test::errors(r);
    REQUIRE(errors.size() == 101);
    CHECK(errors[0].message == "there is no indicator 'missing0'");
    // The list of alternatives is cut short too: 30 names and a count.
    CHECK(errors[0].allowed.find("i29 and 10 more") != std::string::npos);
    CHECK(errors[99].message == "there is no indicator 'missing99'");
    CHECK(errors[100].message == "200 more errors from here on not listed");
    CHECK(errors[100].line == errors[99].line + 4); // where the first unlisted one is
    CHECK(errors[100].key.empty());
}

TEST_CASE("costs in different units are never added up", "[scenario][budget]") {
    // Two cost units without a [budget]: the second is refused at its cost_unit.
    expect_one(with("[levers.tech_loans]\nvalue = 3\ncost_per_unit_year = 1\ncost_unit = \"bn "
                    "yuan\"\nsource = \"s\"\n[levers.talent_subsidy]\nvalue = 3\n"
                    "cost_per_unit_year = 1\ncost_unit = \"m yuan\"\nsource = \"s\"\n"),
               {L + 9, 13, "levers.talent_subsidy.cost_unit",
                "costs in 'm yuan' cannot be added to costs in 'bn yuan' "
                "(levers.tech_loans.cost_unit); costs in different units are never summed",
                "\"bn yuan\", or [budget] with currency and conversions, e.g. conversions = { "
                "\"m yuan\" = <bn yuan per m yuan> }"});
    // A [budget] without the conversion.
    expect_one(with("[budget]\ncurrency = \"bn yuan\"\n[levers.talent_subsidy]\nvalue = 3\n"
                    "cost_per_unit_year = 1\ncost_unit = \"m yuan\"\nsource = \"s\"\n"),
               {L + 6, 13, "levers.talent_subsidy.cost_unit",
                "'m yuan' is not the budget's currency 'bn yuan' and budget.conversions has no "
                "'m yuan'",
                "\"bn yuan\", or a unit in budget.conversions"});
    // A reward priced by its level, whose unit has no conversion.
    expect_one(with("[budget]\ncurrency = \"bn yuan\"\n[levers.cert_reward]\nvalue = 3\n"
                    "cost_per_outcome = \"level\"\ncost_outcome = \"births\"\ncost_unit = \"bn "
                    "yuan\"\nsource = \"s\"\n"),
               {L + 5, 20, "levers.cert_reward.cost_per_outcome",
                "the price is the lever's level, in 'k yuan per firm', which is not the currency "
                "'bn yuan' and has no conversion in budget.conversions",
                "a conversion for \"k yuan per firm\" in budget.conversions"});
}

TEST_CASE("a cost per outcome needs a price and a flow series", "[scenario][budget]") {
    expect_one(with("[levers.tech_loans]\nvalue = 3\ncost_per_outcome = 2\ncost_unit = \"bn "
                    "yuan\"\nsource = \"s\"\n"),
               {L + 1, 1, "levers.tech_loans.cost_outcome",
                "'cost_per_outcome' needs 'cost_outcome': the flow series whose count is priced",
                "births, tech_contract_turnover"});
    expect_one(with("[levers.tech_loans]\nvalue = 3\ncost_outcome = \"births\"\nsource = \"s\"\n"),
               {L + 1, 1, "levers.tech_loans.cost_per_outcome",
                "'cost_outcome' needs 'cost_per_outcome', its price"});
    expect_one(with("[levers.tech_loans]\nvalue = 3\ncost_per_outcome = 2\ncost_outcome = "
                    "\"firms\"\nsource = \"s\"\n"),
               {L + 4, 16, "levers.tech_loans.cost_outcome",
                "series 'firms' is a stock; a cost per outcome counts a flow series (what "
                "happened during each step)",
                "births, tech_contract_turnover"});
    expect_one(with("[levers.tech_loans]\nvalue = 3\ncost_per_outcome = 2\ncost_outcome = "
                    "\"birth\"\nsource = \"s\"\n"),
               {L + 4, 16, "levers.tech_loans.cost_outcome", "model 'toy' has no series 'birth'",
                "births, tech_contract_turnover", "did you mean 'births'?"});
    expect_one(with("[levers.tech_loans]\nvalue = 3\ncost_per_outcome = \"levels\"\ncost_outcome "
                    "= \"births\"\nsource = \"s\"\n"),
               {L + 3, 20, "levers.tech_loans.cost_per_outcome", "unknown price 'levels'"});
    expect_one(
        with("[levers.tech_loans]\nvalue = 3\ncost_per_outcome = -1\ncost_outcome = "
             "\"births\"\nsource = \"s\"\n"),
        {L + 3, 20, "levers.tech_loans.cost_per_outcome", "a cost must not be negative, got -1"});
}

TEST_CASE("a budget's caps need a source and must not be negative", "[scenario][budget]") {
    expect_one(with("[budget]\ncurrency = \"bn yuan\"\ncap_total = 3\n"),
               {L + 1, 1, "budget.source",
                "missing 'source' or 'assumption': every figure needs a citation or the "
                "reasoning behind it"});
    expect_one(with("[budget]\ncurrency = \"bn yuan\"\ncap_per_year = -3\nsource = \"s\"\n"),
               {L + 3, 16, "budget.cap_per_year", "a budget cap must not be negative, got -3"});
    expect_one(with("[budget]\ncurrency = \"bn yuan\"\nconversions = { \"m yuan\" = 0 }\n"),
               {L + 3, 28, "budget.conversions.m yuan",
                "a conversion must be a positive finite number, got 0"});
    expect_one(with("[budget]\ncap_total = 3\nsource = \"s\"\n"),
               {L + 1, 1, "budget.currency", "missing required key 'currency'"});
    expect_one(
        with("[budget]\ncurrency = \"bn yuan\"\ncap_totl = 3\n"),
        {L + 3, 1, "budget.cap_totl", "unknown key 'cap_totl'", "?", "did you mean 'cap_total'?"});
}

TEST_CASE("an indicator's unit is its series' unit times its scale", "[scenario]") {
    // The series is in bn yuan: in m yuan at scale 1000, or in its own unit at 1. Refused
    // (tests/data/broken): m yuan at scale 1, a count of firms in '%'.
    for (const char* ok :
         {"unit = \"m yuan\"\nscale = 1000", "unit = \"bn yuan\"",
          "unit = \"10 billion yuan\"\nscale = 0.1", "unit = \"亿元\"\nscale = 10"}) {
        INFO(ok);
        const LoadResult r = canopy::test::load(
            with(std::string("[indicators.turnover]\nkind = \"flow\"\nseries = "
                             "\"tech_contract_turnover\"\nfrom = \"2023-01\"\nto = \"2023-12\"\n") +
                 ok + "\n"));
        INFO(r.diagnostics.format());
        CHECK(r.scenario.has_value());
    }
    // Neither unit naming a multiple, a scale may rebase: firms as an index of 100.
    const LoadResult index = canopy::test::load(
        with("[indicators.firms_index]\nkind = \"stock\"\nseries = \"firms\"\nat = \"2023-12\"\n"
             "unit = \"index (start = 100)\"\nscale = 0.1\n"));
    INFO(index.diagnostics.format());
    CHECK(index.scenario.has_value());
    // The series' own unit at another scale is not that unit.
    expect_one(with("[indicators.firms_end]\nkind = \"stock\"\nseries = \"firms\"\n"
                    "at = \"2023-12\"\nunit = \"firms\"\nscale = 2\n"),
               {L + 6, 9, "indicators.firms_end.scale",
                "indicator unit 'firms' on series 'firms', which is in 'firms', at scale = 2: the "
                "series times 2 is not in 'firms'",
                "scale = 1 (the series times scale is in 'firms'), or unit = \"firms\""});
}

TEST_CASE("a number after Chinese text on its line is read where it is", "[scenario]") {
    // toml++ counts columns in characters: read as bytes, 计划 before `value = 0.0` made a
    // reviewer's zero read as '023' (refused), and a 1e-400 after 万 passed.
    const std::string lever = "[policy_mixes.zero]\ndescription = \"z\"\n"
                              "levers.tech_loans = { schedule = \"constant\", assumption = "
                              "\"计划全年无新增 2023\", value = ";
    const LoadResult zero = canopy::test::load(with(lever + "0.0 }\n"));
    INFO(zero.diagnostics.format());
    CHECK(zero.scenario.has_value());
    expect_one(with(lever + "1e-400 }\n"),
               {L + 3, 83, "policy_mixes.zero.levers.tech_loans.value",
                "'1e-400' is too small for a number: it would read as 0"});
}
