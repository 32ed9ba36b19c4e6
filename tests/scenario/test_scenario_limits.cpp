// The loader's checks across keys: how many indicators and targets, how long a horizon, which
// values overflow a schedule or a cost, the model's rules across parameters (for the base and
// every policy mix), reserved ids, NUL characters and unreadable paths. Each is a diagnostic
// with its file, line and key, and validation carries on past it.
#include "fake_catalog.hpp"

#include <canopy/engine/limits.hpp>
#include <canopy/engine/scenario.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <span>
#include <unistd.h>

using namespace canopy::engine;
using canopy::test::MINIMAL;
using Catch::Matchers::Contains;

namespace {

constexpr int L = canopy::test::MINIMAL_LINES; // appended text starts on line L + 1

std::string with(std::string_view extra) {
    return std::string(MINIMAL) + std::string(extra);
}

std::vector<Diagnostic> errors_of(std::string_view text) {
    const LoadResult r = canopy::test::load(text);
    INFO(r.diagnostics.format());
    CHECK_FALSE(r.scenario.has_value());
    return canopy::test::errors(r);
}

std::string stock_indicators(std::size_t n) {
    std::string text;
    for (std::size_t i = 0; i < n; ++i) {
        text += "[indicators.i" + std::to_string(i) +
                "]\nkind = \"stock\"\nseries = \"firms\"\nat = \"2023-12\"\n";
    }
    return text;
}

// A model whose parameters have rules across them, like the ecosystem model's.
const ModelInfo& rules_model() {
    static const ModelInfo info = [] {
        ModelInfo m;
        m.name = "rules";
        m.parameters = {
            {"share_a", "share", "", 0.3, Range{0.0, 1.0}, ParameterRole::parameter, false},
            {"share_b", "share", "", 0.3, Range{0.0, 1.0}, ParameterRole::parameter, false},
            {"first_month", "month", "", 3, Range{1.0, 12.0}, ParameterRole::parameter, true},
            {"last_month", "month", "", 11, Range{1.0, 12.0}, ParameterRole::parameter, true},
            {"inflow", "people/year", "", 1000, Range{0.0, std::numeric_limits<double>::infinity()},
             ParameterRole::parameter, false},
            {"part_x", "share", "", 0.25, Range{0.0, 1.0}, ParameterRole::parameter, false},
            {"part_y", "share", "", 0.75, Range{0.0, 1.0}, ParameterRole::parameter, false},
            {"growth", "share", "", 0.1, Range{-0.5, 10.0}, ParameterRole::parameter, false},
            {"term", "months", "", 24, Range{1.0, 600.0}, ParameterRole::parameter, false},
        };
        m.series = {{"firms", "firms", "", SeriesKind::stock}};
        m.constraints = {
            ParameterConstraint::sum_at_most({"share_a", "share_b"}, 1.0, "the shares",
                                             "they are parts of one whole"),
            ParameterConstraint::ordered({"first_month", "last_month"}, "the window's months",
                                         "a window opens before it closes"),
            ParameterConstraint::product_at_most({"inflow"}, 1e9, "the inflow",
                                                 "larger values overflow the model's stocks"),
            ParameterConstraint::sum_equals({"part_x", "part_y"}, 1.0, "the parts",
                                            "they split one whole between them"),
            // The ecosystem model's loan path: a balance shrinks at most as fast as it is repaid.
            ParameterConstraint::positive(
                {"growth", "term"},
                [](std::span<const double> v) { return std::log1p(v[0]) + 12.0 / v[1]; },
                "growth > e^(-12 / term) - 1", "the balance's growth",
                "it cannot shrink faster than it is repaid"),
        };
        m.max_horizon_months = 600;
        m.horizon_reason = "months are counted in 16 bits in this model (test)";
        return m;
    }();
    return info;
}

LoadResult load_rules(std::string_view extra) {
    ModelCatalog catalog;
    catalog.find = [](const std::string& name) -> const ModelInfo* {
        return name == "rules" ? &rules_model() : nullptr;
    };
    catalog.names = {"rules"};
    const std::string text = std::string(R"([scenario]
name = "r"
model = "rules"
start = "2023-01"
end = "2023-12"
)") + std::string(extra);
    return load_scenario_text(text, "rules.toml", catalog);
}

constexpr int R = 5; // lines of load_rules's header

} // namespace

TEST_CASE("more indicators or targets than the limit is one diagnostic at the first extra",
          "[scenario][limits]") {
    const std::string indicators = stock_indicators(MAX_INDICATORS + 1);
    const auto errors = errors_of(with(indicators));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].key == "indicators.i" + std::to_string(MAX_INDICATORS));
    CHECK(errors[0].line == L + 1 + 4 * static_cast<int>(MAX_INDICATORS));
    CHECK_THAT(errors[0].message,
               Contains("declares 20001 indicators") && Contains("at most 20000 are allowed"));

    std::string targets = stock_indicators(1);
    for (std::size_t t = 0; t <= MAX_TARGETS; ++t) {
        targets += "[targets.t" + std::to_string(t) +
                   "]\nindicator = \"i0\"\nthreshold = 1\nsource = \"s\"\n";
    }
    const auto target_errors = errors_of(with(targets));
    REQUIRE(target_errors.size() == 1);
    CHECK(target_errors[0].key == "targets.t" + std::to_string(MAX_TARGETS));
    CHECK_THAT(target_errors[0].message, Contains("at most 20000 are allowed"));
}

TEST_CASE("a scenario at the limits loads", "[scenario][limits]") {
    // A chain of ratios as long as the limit allows: validated without recursion.
    std::string text = stock_indicators(1);
    for (std::size_t i = 1; i < MAX_INDICATORS; ++i) {
        const std::string next =
            i + 1 < MAX_INDICATORS ? "r" + std::to_string(i + 1) : std::string("i0");
        text += "[indicators.r" + std::to_string(i) + "]\nkind = \"ratio\"\nnumerator = \"" + next +
                "\"\ndenominator = \"i0\"\n";
    }
    const LoadResult r = canopy::test::load(with(text));
    INFO(r.diagnostics.format());
    REQUIRE(r.scenario.has_value());
    CHECK(r.scenario->indicators.size() == MAX_INDICATORS);
}

TEST_CASE("a horizon longer than the model holds is refused at the end month",
          "[scenario][limits]") {
    // Issue 6: 0001-9999 ended in std::bad_alloc instead of a diagnostic.
    for (const auto& [start, end] : {std::pair{"0001-02", "9999-12"}, {"2023-01", "2124-01"}}) {
        std::string text = MINIMAL;
        text.replace(text.find("2023-01"), 7, start);
        text.replace(text.find("2023-12"), 7, end);
        const auto errors = errors_of(text);
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].key == "scenario.end");
        CHECK(errors[0].line == 5);
        CHECK_THAT(errors[0].message, Contains("holds at most 1200 months"));
    }
    // The model's own bound and reason.
    const LoadResult r = load_rules("");
    REQUIRE(r.scenario.has_value());
    ModelCatalog catalog;
    catalog.find = [](const std::string&) { return &rules_model(); };
    const LoadResult long_run = load_scenario_text(R"([scenario]
name = "r"
model = "rules"
start = "2023-01"
end = "2073-01"
)",
                                                   "rules.toml", catalog);
    const auto errors = canopy::test::errors(long_run);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].allowed == "an end month from 2023-01 to 2072-12");
    CHECK_THAT(errors[0].message,
               Contains("601 months") && Contains("months are counted in 16 bits"));
}

TEST_CASE("a policy mix whose scale overflows a schedule is a diagnostic, and validation "
          "continues",
          "[scenario][limits]") {
    // Issue 6, item 5: this was "internal error while loading: step schedule ... inf", with no
    // key, and it stopped validation. tech_loans is 10 by default: 10 x 1e308 is inf.
    const auto errors = errors_of(with(R"([policy_mixes.huge.levers.tech_loans]
scale = 1e308
[policy_mixes.huge.levers.cert_reward]
scale = -1
[targets.missing]
threshold = 1
source = "s"
)"));
    REQUIRE(errors.size() == 3);
    CHECK(errors[0].key == "targets.missing.indicator");
    CHECK(errors[1].key == "policy_mixes.huge.levers.tech_loans.scale");
    CHECK(errors[1].line == L + 2);
    CHECK_THAT(errors[1].message, Contains("beyond the largest number"));
    CHECK(errors[1].allowed == "a factor that keeps every value within [0, 500]");
    CHECK(errors[2].key == "policy_mixes.huge.levers.cert_reward.scale");
}

TEST_CASE("a lever whose cost over the horizon overflows is a diagnostic at its rate",
          "[scenario][limits]") {
    const auto errors = errors_of(with(R"([levers.tech_loans]
value = 500
cost_per_unit_year = 1e308
source = "s"
)"));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].key == "levers.tech_loans.cost_per_unit_year");
    CHECK(errors[0].line == L + 3);
    CHECK_THAT(errors[0].message, Contains("cost over the horizon is inf"));
}

TEST_CASE("the model's rules across parameters are checked with every key's line",
          "[scenario][limits]") {
    SECTION("shares summing over 1") {
        const LoadResult r = load_rules(R"([parameters.share_a]
value = 0.9
source = "s"
[parameters.share_b]
value = 0.9
source = "s"
)");
        const auto errors = canopy::test::errors(r);
        REQUIRE(errors.size() == 1);
        INFO(errors[0].format());
        CHECK(errors[0].key == "parameters.share_b.value");
        CHECK(errors[0].line == R + 5);
        CHECK_THAT(errors[0].message, Contains("the shares sum to 1.8, more than 1") &&
                                          Contains("share_a = 0.9 at rules.toml:7") &&
                                          Contains("share_b = 0.9 at rules.toml:10") &&
                                          Contains("they are parts of one whole"));
        CHECK(errors[0].allowed == "a sum of at most 1");
    }
    SECTION("a sum of decimal figures is said as they were written") {
        // 0.6 + 0.5 + 0.31 is 1.4100000000000004 in binary; the message said so.
        const LoadResult r = load_rules(R"([parameters.share_a]
value = 0.6
source = "s"
[parameters.share_b]
value = 0.81
source = "s"
)");
        const auto errors = canopy::test::errors(r);
        REQUIRE(errors.size() == 1);
        CHECK_THAT(errors[0].message, Contains("the shares sum to 1.41, more than 1"));
    }
    SECTION("a window that closes before it opens, one month at the model's default") {
        const auto errors = canopy::test::errors(load_rules(R"([parameters.first_month]
value = 12
source = "s"
)"));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].key == "parameters.first_month.value");
        CHECK_THAT(errors[0].message,
                   Contains("out of order") && Contains("last_month = 11 at the model's default"));
    }
    SECTION("a distribution is checked at every value it can draw") {
        // Lognormal medians are unbounded above, but the sampler's draws are not: 1e3 with a
        // sigma of 0.1 stays far below the bound, 1e308 does not (issue 6: NaN turnover).
        const auto fine = load_rules(R"([parameters.inflow]
distribution = "lognormal"
median = 1000
sigma = 0.1
source = "s"
)");
        CHECK(fine.scenario.has_value());
        const auto errors = canopy::test::errors(load_rules(R"([parameters.inflow]
distribution = "lognormal"
median = 1e308
sigma = 0.1
source = "s"
)"));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].key == "parameters.inflow.distribution");
        CHECK_THAT(errors[0].message,
                   Contains("the inflow can reach inf") && Contains("overflow the model's stocks"));
        const auto uniform = canopy::test::errors(load_rules(R"([parameters.share_a]
distribution = "uniform"
low = 0.5
high = 0.8
source = "s"
)"));
        REQUIRE(uniform.size() == 1);
        CHECK_THAT(uniform[0].message, Contains("can sum to 1.1 at their largest draws"));
    }
    SECTION("parts that must add up exactly") {
        const auto errors = canopy::test::errors(load_rules(R"([parameters.part_x]
value = 0.5
source = "s"
)"));
        REQUIRE(errors.size() == 1);
        CHECK_THAT(errors[0].message, Contains("the parts sum to 1.25, not 1"));
    }
    SECTION("a rule no sum or order states, at the draws that break it") {
        // -0.45 a year is more than a 36-month balance can shrink (e^(-1/3) - 1 = -28.3 %), and
        // within what a 12-month one can (-63.2 %).
        const auto fixed = canopy::test::errors(load_rules(R"([parameters.growth]
value = -0.45
source = "s"
[parameters.term]
value = 36
source = "s"
)"));
        REQUIRE(fixed.size() == 1);
        CHECK(fixed[0].key == "parameters.term.value");
        CHECK(fixed[0].line == R + 5);
        CHECK(fixed[0].message ==
              "the balance's growth breaks the rule growth > e^(-12 / term) - 1 (growth = -0.45 "
              "at rules.toml:7; term = 36 at rules.toml:10); it cannot shrink faster than it is "
              "repaid");
        CHECK(fixed[0].allowed == "growth > e^(-12 / term) - 1");
        CHECK(load_rules("[parameters.growth]\nvalue = -0.45\nsource = \"s\"\n"
                         "[parameters.term]\nvalue = 12\nsource = \"s\"\n")
                  .scenario.has_value());
        // A term drawn from 12 to 36 months reaches 36: the worst corner of the draws is named.
        const auto drawn = canopy::test::errors(load_rules(R"([parameters.growth]
value = -0.45
source = "s"
[parameters.term]
distribution = "uniform"
low = 12
high = 36
source = "s"
)"));
        REQUIRE(drawn.size() == 1);
        CHECK(drawn[0].key == "parameters.term.distribution");
        CHECK_THAT(drawn[0].message,
                   Contains("can break the rule growth > e^(-12 / term) - 1 where the draws "
                            "reach growth = -0.45, term = 36") &&
                       Contains("term = from 12 to 36 (a distribution) at rules.toml:10"));
    }
    SECTION("every policy mix is checked with its own settings") {
        const auto errors = canopy::test::errors(load_rules(R"([parameters.share_a]
value = 0.5
source = "s"
[policy_mixes.more_b.parameters.share_b]
value = 0.75
source = "s"
[policy_mixes.fine.parameters.share_b]
value = 0.5
source = "s"
)"));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].key == "policy_mixes.more_b.parameters.share_b.value");
        CHECK(errors[0].line == R + 5);
        CHECK_THAT(errors[0].message, Contains("policy mix 'more_b': the shares sum to 1.25") &&
                                          Contains("share_a = 0.5 at rules.toml:7"));
    }
}

TEST_CASE("indicator ids that the outputs use for their axes are reserved", "[scenario][limits]") {
    for (const char* id : RESERVED_INDICATOR_IDS) {
        const auto errors = errors_of(with("[indicators." + std::string(id) +
                                           "]\nkind = \"stock\"\nseries = \"firms\"\n"
                                           "at = \"2023-12\"\n"));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].key == "indicators." + std::string(id));
        CHECK_THAT(errors[0].message, Contains("is reserved"));
    }
}

TEST_CASE("NUL characters in strings and paths are refused", "[scenario][limits]") {
    std::string text = MINIMAL;
    text.insert(text.find("model"), "title = \"Wu\\u0000han\"\n");
    const auto errors = errors_of(text);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].key == "scenario.title");
    CHECK_THAT(errors[0].message, Contains("NUL character"));

    const auto extends = errors_of("extends = \"base.toml\\u0000.toml\"\n" + std::string(MINIMAL));
    REQUIRE(extends.size() == 1);
    CHECK(extends[0].key == "extends");
    CHECK_THAT(extends[0].message, Contains("NUL character"));
}

TEST_CASE("a symbolic link loop is reported as one, not as a missing file", "[scenario][limits]") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("canopy-loop-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::create_symlink(dir / "b.toml", dir / "a.toml");
    fs::create_symlink(dir / "a.toml", dir / "b.toml");
    const LoadResult r = load_scenario(dir / "a.toml", canopy::test::toy_catalog());
    fs::remove_all(dir);
    REQUIRE(r.diagnostics.size() == 1);
    CHECK_THAT(r.diagnostics.items()[0].message, Contains("symbolic link loop"));
    CHECK_THAT(r.diagnostics.items()[0].message, !Contains("no such file"));
}
