// docs/scenario-format.md's complete example is a real scenario: copied out of the page, it
// loads with no diagnostic, and what it says (replacing a value by a distribution and back,
// removing and replacing inherited mixes) arrives in the scenario. It once failed with 29
// errors when copied; this keeps it from rotting again.
#include "registry.hpp"

#include <canopy/engine/scenario.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace canopy::engine;

namespace {

namespace fs = std::filesystem;

const fs::path DOCS = fs::path(CANOPY_SOURCE_DIR) / "docs";

// The first ```toml block after `heading` in a Markdown file.
std::string toml_block(const fs::path& page, const std::string& heading) {
    std::ifstream in(page);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    const std::size_t at = text.find(heading);
    REQUIRE(at != std::string::npos);
    const std::string fence = "```toml\n";
    const std::size_t begin = text.find(fence, at);
    REQUIRE(begin != std::string::npos);
    const std::size_t end = text.find("\n```", begin + fence.size());
    REQUIRE(end != std::string::npos);
    return text.substr(begin + fence.size(), end + 1 - begin - fence.size());
}

std::size_t parameter_index(const ModelInfo& model, const std::string& name) {
    for (std::size_t i = 0; i < model.parameters.size(); ++i) {
        if (model.parameters[i].name == name) {
            return i;
        }
    }
    FAIL("no parameter " << name);
    return 0;
}

} // namespace

TEST_CASE("The complete example of docs/scenario-format.md validates", "[scenario][docs]") {
    const std::string text = toml_block(DOCS / "scenario-format.md", "## A complete example");
    // As if saved beside the page: its `extends` is relative to docs/.
    const LoadResult r = load_scenario_text(text, (DOCS / "wuhan-2023-variant.toml").string(),
                                            canopy::models::model_catalog());
    INFO(r.diagnostics.format());
    CHECK(r.diagnostics.empty());
    REQUIRE(r.scenario.has_value());
    const Scenario& s = *r.scenario;
    CHECK(s.name == "wuhan_2023_variant");
    CHECK(s.replicates == 200);
    const ModelInfo& model = *canopy::models::model_catalog().find(s.model);
    // A value replaced by a distribution, and a distribution by a value.
    const ParameterSetting& pass = s.parameters[parameter_index(model, "hte_pass_rate")];
    CHECK(pass.value.kind == Uncertain::Kind::beta);
    CHECK(pass.provenance.source.empty());
    const ParameterSetting& exit = s.parameters[parameter_index(model, "exit_rate_sme")];
    CHECK(exit.value.kind == Uncertain::Kind::fixed);
    CHECK(exit.value.a == 0.009);
    // Two inherited mixes removed, one replaced whole, one added.
    std::vector<std::string> mixes;
    for (const PolicyMix& m : s.policy_mixes) {
        mixes.push_back(m.name);
    }
    CHECK(mixes == std::vector<std::string>{"finance_push", "certification_push", "early_talent"});
    CHECK(s.policy_mixes[0].description ==
          "Half again as much tech-loan support from January 2023");
    CHECK(s.policy_mixes[0].levers.size() == 1); // not the parent's two levers
    // A change indicator: the input and its base month arrive.
    const auto change =
        std::find_if(s.indicators.begin(), s.indicators.end(),
                     [](const IndicatorSpec& i) { return i.id == "high_tech_added_h2"; });
    REQUIRE(change != s.indicators.end());
    CHECK(change->kind == IndicatorSpec::Kind::change);
    CHECK(change->of == "high_tech_end_2023");
    CHECK(change->from == YearMonth{2023, 6});
}
