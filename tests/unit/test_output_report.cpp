// The HTML report from a plain Report: self-contained, escaped, deterministic, every section
// present when given and absent when not, long labels shortened with the full text kept.
// (tests/python/test_report_chromium.py renders a real one in a browser.)
#include <canopy/output/report.hpp>
#include <canopy/output/run_report.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using namespace canopy;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos;
         at = text.find(what, at + what.size())) {
        ++n;
    }
    return n;
}

output::ReportFan fan(const std::string& id, std::size_t rows) {
    output::ReportFan f;
    f.id = id;
    f.label = id;
    f.unit = "firms";
    for (std::size_t r = 0; r < rows; ++r) {
        const int month = static_cast<int>(r) % 12 + 1;
        const int year = 2022 + static_cast<int>(r) / 12;
        f.row_labels.push_back(std::to_string(year) + (month < 10 ? "-0" : "-") +
                               std::to_string(month));
        const double m = 100.0 + 10.0 * static_cast<double>(r);
        f.q05.push_back(m - 20);
        f.q25.push_back(m - 8);
        f.median.push_back(m);
        f.q75.push_back(m + 8);
        f.q95.push_back(m + 20);
    }
    f.q05[0] = f.q25[0] = f.median[0] = f.q75[0] = f.q95[0] = std::nan(""); // a growth's first row
    f.targets.push_back({">=", 300.0, "2023-12"});
    return f;
}

// The page of a run with one fan chart, `f`.
std::string page_of(const output::ReportFan& f) {
    output::Report r;
    r.title = "t";
    output::ReportMix m;
    m.name = "base";
    m.fans.push_back(f);
    r.mixes.push_back(m);
    return output::render_report_html(r);
}

output::ReportTarget target(const std::string& id, double p) {
    output::ReportTarget t;
    t.id = id;
    t.label = "";
    t.unit = "firms";
    t.comparison = ">=";
    t.threshold = 300;
    t.median = 310;
    t.q05 = 280;
    t.q95 = 340;
    t.p_attain = p;
    t.p_lo = p - 0.1;
    t.p_hi = p + 0.05;
    return t;
}

output::Report sample() {
    output::Report r;
    r.title = "Wuhan <2023> & \"targets\"";
    r.subtitle = "canopy run: 6 replicates";
    r.facts.push_back({"Model", "innovation_ecosystem"});
    output::ReportMix base;
    base.name = "base";
    base.totals.push_back({"total", 12.5, "100m yuan"});
    base.lever_costs.push_back({"tech_loans", 12.5, "100m yuan"});
    base.targets = {target("high_tech_enterprises", 0.8), target("leaders", 0.3)};
    base.fans = {fan("high_tech_enterprises", 25), fan("leaders", 25)};
    output::ReportMix mix = base;
    mix.name = "a_policy_mix_with_a_really_remarkably_long_name_that_cannot_fit";
    mix.fans.clear();
    mix.over_budget = true;
    mix.budget_note = "2023: 31 > cap 30 100m yuan";
    mix.targets[0].delta_p = 0.1;
    mix.targets[0].delta_p_ci = std::array<double, 2>{0.05, 0.15};
    mix.targets[0].delta_median = 12.0;
    r.mixes = {base, mix};
    output::ReportLeverEffect loans;
    loans.lever = "tech_loans";
    loans.change = "x 1.5";
    loans.target = "high_tech_enterprises";
    loans.delta_p = 0.12;
    loans.delta_p_ci = std::array<double, 2>{0.08, 0.16};
    loans.delta_median = 40.0;
    output::ReportLeverEffect talent;
    talent.lever = "talent";
    talent.change = "x 0.5";
    talent.target = "high_tech_enterprises";
    talent.delta_p = -0.04;
    r.lever_effects = {loans, talent};
    r.inputs.push_back(
        {"high_tech_firms_initial", "baseline", "9,100 firms", "武汉市统计局 2022", ""});
    r.inputs.push_back({"exit_rate", "parameter", "beta(4, 60)", "", "a guess <with reasons>"});
    return r;
}

} // namespace

TEST_CASE("The report is one self-contained page with every section given", "[output][report]") {
    const output::Report r = sample();
    const std::string html = output::render_report_html(r);
    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("http") == std::string::npos);
    CHECK(html.find("@media print") != std::string::npos);
    // Escaped text, never markup from the scenario.
    CHECK(html.find("Wuhan &lt;2023&gt; &amp; &quot;targets&quot;") != std::string::npos);
    CHECK(html.find("a guess &lt;with reasons&gt;") != std::string::npos);
    CHECK(html.find("武汉市统计局 2022") != std::string::npos);
    // Fan charts for the mix that has them, a legend, an attainment chart per target, costs,
    // lever effects (tornado per target), inputs and the calibration note.
    CHECK(count(html, "class=\"chart fan\"") == 2);
    CHECK(count(html, "class=\"chart legend\"") == 1);
    CHECK(count(html, "class=\"chart bars\"") == 2);
    CHECK(count(html, "class=\"chart costs\"") == 1);
    CHECK(count(html, "class=\"chart tornado\"") == 1);
    CHECK(count(html, "class=\"target\"") == 3);  // a target line in each fan, and the legend
    CHECK(count(html, "class=\"yearend\"") == 5); // end 2022 and 2023 in each, and the legend
    CHECK(html.find("Not calibrated") != std::string::npos);
    CHECK(html.find("over the cap: 2023: 31 &gt; cap 30 100m yuan") != std::string::npos);
    CHECK(html.find("+10.0 pp [+5.0, +15.0]") != std::string::npos);
    // A label too long for its place is shortened, with the whole name as a tooltip.
    CHECK(html.find("<title>a_policy_mix_with_a_really_remarkably_long_name_that_cannot_fit"
                    "</title>a_policy_mix") != std::string::npos);
    // Deterministic.
    CHECK(output::render_report_html(r) == html);
}

TEST_CASE("Sections without data are left out of the report", "[output][report]") {
    output::Report r;
    r.title = "bare";
    output::ReportMix m;
    m.name = "base";
    m.targets = {target("t", 0.5)};
    r.mixes = {m};
    r.calibration.calibrated = true;
    r.calibration.origin = "fits/posterior.h5";
    r.calibration.parameters = {"a", "b"};
    r.calibration.particles = 500;
    const std::string html = output::render_report_html(r);
    CHECK(html.find("id=\"budgets\"") == std::string::npos);
    CHECK(html.find("id=\"lever-effects\"") == std::string::npos);
    CHECK(html.find("class=\"chart fan\"") == std::string::npos);
    CHECK(count(html, "class=\"chart bars\"") == 1);
    CHECK(html.find("<strong>Calibrated.</strong> Each replicate draws a, b jointly from the "
                    "calibration posterior 'fits/posterior.h5' (500 particles)") !=
          std::string::npos);
}

TEST_CASE("The report says in how many replicates a target had no value", "[output][report]") {
    // As the terminal table does: a growth from zero has no value and counts as missed.
    output::Report r = sample();
    r.mixes[1].targets[1].undefined = 2;
    r.mixes[1].targets[1].replicates = 6;
    const std::string html = output::render_report_html(r);
    CHECK(html.find("Undefined in some replicates (a growth from a zero base or a ratio over zero "
                    "has no value; those replicates count as missed): leaders under "
                    "a_policy_mix_with_a_really_remarkably_long_name_that_cannot_fit: 2 of 6.") !=
          std::string::npos);
    r.mixes.pop_back();
    r.mixes[0].targets[0].undefined = 6;
    r.mixes[0].targets[0].replicates = 6;
    CHECK(output::render_report_html(r).find("count as missed): high_tech_enterprises: 6 of 6.") !=
          std::string::npos);
    r.mixes[0].targets[0].undefined = 0;
    CHECK(output::render_report_html(r).find("Undefined in some") == std::string::npos);
}

TEST_CASE("Lever effects measured at each lever's range ends fill a chart and a table per target",
          "[output][report]") {
    // Two levers, two targets, as experiments::lever_effects returns them.
    engine::ModelInfo info;
    engine::LeverSpec loans;
    loans.name = "tech_loans";
    loans.unit = "bn yuan";
    engine::LeverSpec talent;
    talent.name = "talent";
    info.levers = {loans, talent};
    experiments::LeverEffects e;
    const auto range = [](const std::string& name, int index, experiments::OverrideMode mode,
                          double low, double high, const std::string& origin) {
        experiments::LeverRange x;
        x.lever.name = name;
        x.lever.kind = experiments::TargetKind::lever;
        x.lever.index = index;
        x.lever.mode = mode;
        x.low = low;
        x.high = high;
        x.origin = origin;
        return x;
    };
    e.levers.push_back(range("tech_loans", 0, experiments::OverrideMode::set, 40.0, 120.0,
                             "default: 0.5x and 1.5x its level at the end, from policy_start"));
    e.levers.push_back(range("talent", 1, experiments::OverrideMode::scale, 0.5, 2.0,
                             "factors.talent of sweep.toml"));
    e.targets = {"high_tech_enterprises", "leaders"};
    e.replicates = 40;
    e.seed = 7;
    const auto effect = [](double dp, double lo, double hi, double dm) {
        experiments::TargetEffect x;
        x.median_low = 300.0;
        x.median_high = 300.0 + dm;
        x.delta_median = dm;
        x.delta_median_ci = {dm - 5.0, dm + 5.0};
        x.p_low = 0.4;
        x.p_high = 0.4 + dp;
        x.delta_p = dp;
        x.delta_p_ci = {lo, hi};
        return x;
    };
    // Lever-major: tech_loans on both targets, then talent on both.
    e.effects = {effect(0.3, 0.2, 0.4, 50.0), effect(0.0, -0.05, 0.05, 1.0),
                 effect(-0.1, -0.2, 0.02, -2.0), effect(0.05, -0.02, 0.1, std::nan(""))};
    e.effects[3].delta_median_ci = {std::nan(""), std::nan("")};

    output::Report r;
    r.title = "levers";
    output::ReportMix m;
    m.name = "base";
    m.targets = {target("high_tech_enterprises", 0.4), target("leaders", 0.4)};
    r.mixes = {m};
    output::add_lever_effects(
        r, e, info,
        std::vector<std::pair<std::string, std::string>>{{"new_labs", "its level is 0"}});
    REQUIRE(r.lever_effects.size() == 4);
    CHECK(r.lever_effects[0].change == "40 → 120 bn yuan");
    CHECK(r.lever_effects[2].change == "x0.5 → x2");
    CHECK(*r.lever_effects[0].moves);
    CHECK_FALSE(*r.lever_effects[1].moves);
    CHECK_FALSE(r.lever_effects[3].delta_median.has_value()); // NaN is no number
    CHECK_FALSE(r.lever_effects[3].delta_median_ci.has_value());

    const std::string html = output::render_report_html(r);
    CHECK(count(html, "class=\"chart tornado\"") == 2);
    CHECK(count(html, "<table class=\"effects\">") == 2);
    // Bars labelled by the lever alone; the change is in the table.
    CHECK(html.find("<td>tech_<wbr>loans</td><td>40 → 120 bn yuan</td>") != std::string::npos);
    CHECK(html.find("+50 [+45, +55]") != std::string::npos);
    CHECK(html.find("+30.0 pp [+20.0, +40.0]") != std::string::npos);
    CHECK(count(html, "<strong>yes</strong>") == 1);
    // How they were measured, where the ranges come from, and what was left out.
    CHECK(html.find("40 paired replicates at each end") != std::string::npos);
    CHECK(html.find("factors.talent of sweep.toml (talent)") != std::string::npos);
    CHECK(html.find("Left out: new_labs (its level is 0).") != std::string::npos);
    // Effects without a verdict (a mix against the base, in compare) get charts only.
    output::Report plain = r;
    for (output::ReportLeverEffect& x : plain.lever_effects) {
        x.moves.reset();
    }
    CHECK(output::render_report_html(plain).find("class=\"effects\"") == std::string::npos);
    // Every lever left out (each at level 0): the section stays, saying why, with no chart.
    output::Report none;
    none.title = "levers";
    none.mixes = {m};
    experiments::LeverEffects nothing = e;
    nothing.levers.clear();
    nothing.effects.clear();
    output::add_lever_effects(none, nothing, info,
                              std::vector<std::pair<std::string, std::string>>{
                                  {"tech_loans", "its level is 0"}, {"talent", "its level is 0"}});
    const std::string empty_html = output::render_report_html(none);
    CHECK(empty_html.find("<h2>Lever effects</h2>") != std::string::npos);
    CHECK(empty_html.find("Left out: tech_loans (its level is 0); talent (its level is 0).") !=
          std::string::npos);
    CHECK(empty_html.find("No lever was run") != std::string::npos);
    CHECK(count(empty_html, "class=\"chart tornado\"") == 0);
}

namespace {

// The text shown for `full` in the charts: what follows its tooltip.
std::vector<std::string> shown_for(const std::string& html, const std::string& full) {
    std::vector<std::string> out;
    const std::string tip = "<title>" + full + "</title>";
    for (std::size_t at = html.find(tip); at != std::string::npos;
         at = html.find(tip, at + tip.size())) {
        const std::size_t begin = at + tip.size();
        out.push_back(html.substr(begin, html.find("</text>", begin) - begin));
    }
    return out;
}

} // namespace

TEST_CASE("Mix names that share a long start stay apart in the charts", "[output][report]") {
    // Two mixes whose names differ only at the end were both shown as "scale_up_tech_loans_an…"
    // in every chart: on paper, where there are no tooltips, they could not be told apart.
    output::Report r = sample();
    r.lever_effects.clear();
    const std::string low = "scale_up_tech_loans_and_venture_funds_in_2024_low";
    const std::string high = "scale_up_tech_loans_and_venture_funds_in_2024_high";
    r.mixes[1].name = low;
    r.mixes.push_back(r.mixes[1]);
    r.mixes[2].name = high;
    std::string html = output::render_report_html(r);
    const std::vector<std::string> a = shown_for(html, low);
    const std::vector<std::string> b = shown_for(html, high);
    REQUIRE(a.size() == 3); // the two attainment charts and the cost chart
    REQUIRE(b.size() == 3);
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i] != b[i]);
        CHECK(a[i].rfind("scale_up", 0) == 0); // the start, "…", and the end that differs
        CHECK(a[i].size() >= 4);
        CHECK(a[i].substr(a[i].size() - 4) == "_low");
        CHECK(b[i].substr(b[i].size() - 5) == "_high");
        CHECK(a[i].find("…") != std::string::npos);
    }
    CHECK(html.find("class=\"muted key\"") == std::string::npos);
    // A lone long name is still cut at its end.
    CHECK(shown_for(html, "a_policy_mix_with_a_really_remarkably_long_name_that_cannot_fit")
              .empty()); // replaced above
    // Names that differ only in the middle, too far in to show: numbered, with a key under the
    // chart that gives each number its full name.
    const std::string m1 =
        "programme_" + std::string(12, 'x') + "_variant_one_" + std::string(40, 'y');
    const std::string m2 =
        "programme_" + std::string(12, 'x') + "_variant_two_" + std::string(40, 'y');
    r.mixes[1].name = m1;
    r.mixes[2].name = m2;
    html = output::render_report_html(r);
    const std::vector<std::string> c = shown_for(html, m1);
    const std::vector<std::string> d = shown_for(html, m2);
    REQUIRE(c.size() == 3);
    REQUIRE(d.size() == 3);
    for (std::size_t i = 0; i < c.size(); ++i) {
        CHECK(c[i] != d[i]);
        CHECK(c[i].rfind("[1] programme_", 0) == 0);
        CHECK(d[i].rfind("[2] programme_", 0) == 0);
    }
    CHECK(count(html, "<p class=\"muted key\">[1] " + m1 + "; [2] " + m2 + "</p>") == 3);
    // The same name twice (one mix in two charts) is no clash.
    CHECK(shown_for(html, "base").empty()); // short: shown whole, with no tooltip
}

TEST_CASE("The report's budget gives the caps and the share of replicates over them",
          "[output][report]") {
    output::Report r = sample();
    // No cap: not "within".
    std::string html = output::render_report_html(r);
    CHECK(html.find(">no cap</td>") != std::string::npos);
    CHECK(html.find(">within") == std::string::npos);
    for (output::ReportMix& m : r.mixes) {
        m.cap_per_year = 30;
        m.cap_total = 55;
    }
    r.mixes[0].p_over_budget = 0.125;
    r.mixes[1].p_over_budget = 0.6;
    html = output::render_report_html(r);
    CHECK(html.find(">within the cap of 30 100m yuan a year, 55 100m yuan in total (mean cost); "
                    "12.5 % of replicates over it</td>") != std::string::npos);
    CHECK(html.find(" class=\"over\">over the cap of 30 100m yuan a year, 55 100m yuan in total "
                    "(mean cost): 2023: 31 &gt; cap 30 100m yuan; 60.0 % of replicates over "
                    "it</td>") != std::string::npos);
    // The chart draws the total cap, says so, and its over-cap label is whole: an outside probe
    // read "70.5 100m yuan (ove..." and saw no cap line.
    CHECK(count(html, "class=\"cap\"") == 1);
    CHECK(html.find("; the dashed line is the total cap, 55</figcaption>") != std::string::npos);
    CHECK(html.find(" over cap</text>") != std::string::npos);
    CHECK(html.find("(ove") == std::string::npos);
    // A cap in total only, and costs that do not vary (no share).
    r.mixes[0].cap_per_year = std::nan("");
    r.mixes[0].p_over_budget.reset();
    html = output::render_report_html(r);
    CHECK(html.find(">within the cap of 55 100m yuan in total (mean cost)</td>") !=
          std::string::npos);
}

TEST_CASE("The report says what each policy mix is", "[output][report]") {
    output::Report r = sample();
    r.mixes[1].description = "Loans <doubled> from 2023";
    std::string html = output::render_report_html(r);
    CHECK(html.find("<dt>base</dt><dd><span class=\"muted\">the scenario's levers as "
                    "written</span></dd>") != std::string::npos);
    CHECK(html.find("</dt><dd>Loans &lt;doubled&gt; from 2023</dd>") != std::string::npos);
    // One mix run alone: its description under the heading.
    r.mixes.erase(r.mixes.begin());
    html = output::render_report_html(r);
    CHECK(html.find("</h2>\n<p>Loans &lt;doubled&gt; from 2023</p>") != std::string::npos);
}

TEST_CASE("A solve's report judges P(attain) against the probability asked for",
          "[output][report]") {
    // An outside tester: a solve for P = 0.99 answered "out of reach", yet the page's verdict
    // said "likely" (97.5 %, judged against one half) and its chart's line stood at 50 %.
    output::Report r;
    r.title = "solve";
    output::ReportMix m;
    m.name = "closest setting";
    output::ReportTarget t = target("leaders_2023", 0.975);
    t.p_lo = 0.96;
    t.p_hi = 0.985;
    t.reaches = false;
    m.targets = {t};
    r.mixes = {m};
    const std::string run_page = output::render_report_html(r);
    CHECK(run_page.find(">likely</td>") != std::string::npos); // against one half, elsewhere
    r.probability_wanted = 0.99;
    const std::string html = output::render_report_html(r);
    CHECK(html.find("<th>reaches 99 %?</th>") != std::string::npos);
    CHECK(html.find("<td class=\"verdict-unlikely\">no</td>") != std::string::npos);
    CHECK(html.find(">likely</td>") == std::string::npos);
    CHECK(html.find("reaches 99 %?: the search's verdict, yes when its sequential test judged") !=
          std::string::npos);
    CHECK(html.find("the line marks the probability asked for, 99 %") != std::string::npos);
    CHECK(html.find("the line marks one half") == std::string::npos);
    // The line at 99 % of the bars' scale (150 + 250 * 0.99), none at one half (275).
    CHECK(html.find("class=\"half\" x1=\"397.5\"") != std::string::npos);
    CHECK(html.find("class=\"half\" x1=\"275.0\"") == std::string::npos);
    r.mixes[0].targets[0].reaches = true;
    CHECK(output::render_report_html(r).find("<td class=\"verdict-likely\">yes</td>") !=
          std::string::npos);
}

TEST_CASE("The report shows a command's own tables, such as a solve's search", "[output][report]") {
    output::Report r;
    r.title = "t";
    output::ReportTable t;
    t.id = "search";
    t.title = "The search";
    t.caption = "Every setting evaluated";
    t.columns = {"#", "lever_incubated (multiplier)", "verdict"};
    t.numeric = {true, true, false};
    t.rows = {{"1", "0.6", "short"}, {"2", "1.2", "reaches"}};
    t.emphasised = {false, true};
    t.notes = {"Both ends of the final bracket are rechecked"};
    r.tables = {t};
    const std::string html = output::render_report_html(r);
    CHECK(html.find("<section id=\"search\"><h2>The search</h2>") != std::string::npos);
    // A long heading (a lever's name and unit) wraps rather than widen the table.
    CHECK(html.find("<th class=\"num\">lever_<wbr>incubated (multiplier)</th>") !=
          std::string::npos);
    CHECK(html.find("table.log th.num { white-space: normal; }") != std::string::npos);
    CHECK(html.find("<tr><td class=\"num\">1</td><td class=\"num\">0.6</td><td>short</td></tr>") !=
          std::string::npos);
    CHECK(html.find("<tr class=\"emphasised\"><td class=\"num\">2</td>") != std::string::npos);
    CHECK(html.find("Both ends of the final bracket are rechecked") != std::string::npos);
}

TEST_CASE("The report marks assumed thresholds and says where each comes from",
          "[output][report]") {
    // The README says Wuhan's masked thresholds "are marked as assumptions": the page showed
    // "≥ 10 %" with no mark.
    output::Report r = sample();
    r.mixes[0].targets[0].assumption = "masked in the plan <as published>";
    r.mixes[0].targets[1].source = "the plan, 2023";
    r.mixes[0].cap_per_year = 30;
    r.budget_source = "the city's budget, 2023";
    r.input_notes = {"solve overrides tech_loans"};
    const std::string html = output::render_report_html(r);
    CHECK(html.find("<td>≥ 300 firms †</td>") != std::string::npos);
    CHECK(html.find("<td>≥ 300 firms</td>") != std::string::npos); // leaders: a source, no mark
    CHECK(html.find("<dt>high_<wbr>tech_<wbr>enterprises †</dt><dd><em>assumption:</em> masked "
                    "in the plan &lt;as published&gt;</dd>") != std::string::npos);
    CHECK(html.find("<dt>leaders</dt><dd>the plan, 2023</dd>") != std::string::npos);
    CHECK(html.find("The caps: the city&#39;s budget, 2023") != std::string::npos);
    CHECK(html.find("<p class=\"note\">solve overrides tech_loans</p>") != std::string::npos);
    // Without a source or an assumption, nothing is said.
    CHECK(output::render_report_html(sample()).find("Where the thresholds come from") ==
          std::string::npos);
}

TEST_CASE("The report says what its verdicts and differences mean, in the terminal's words",
          "[output][report]") {
    const std::string html = output::render_report_html(sample());
    CHECK(html.find("verdict: likely when the whole 95 % CI of P(attain) lies above 50 %, "
                    "unlikely when it lies below, uncertain otherwise.") != std::string::npos);
    CHECK(html.find("pp: percentage points") != std::string::npos);
    CHECK(html.find("+10.0 pp [+5.0, +15.0]") != std::string::npos);
    CHECK(html.find("pts") == std::string::npos); // one abbreviation, the terminal's
}

TEST_CASE("The report's tables fit a printed page and break names only between words",
          "[output][report]") {
    // An outside tester: at 800 px or printed, the first column broke one letter a line and the
    // cost column was clipped; at 1280 px names broke mid-word ("bas/elin/e", "uncertai/n").
    const std::string html = output::render_report_html(sample());
    CHECK(html.find("overflow-wrap: anywhere; }\nth") == std::string::npos);
    CHECK(html.find("overflow-wrap: break-word; word-break: normal;") != std::string::npos);
    CHECK(html.find("div.table { overflow-x: auto;") != std::string::npos);
    // On a narrow window numbers wrap at their spaces rather than widen the table.
    CHECK(html.find("@media (max-width: 960px) {\n  td.num, th.num { white-space: normal; }") !=
          std::string::npos);
    CHECK(count(html, "<div class=\"table\"><table") == count(html, "<table"));
    CHECK(html.find("<td>a_<wbr>policy_<wbr>mix_<wbr>with") != std::string::npos);
    CHECK(html.find("@page { size: A4;") != std::string::npos);
    // Printed charts keep their drawn size: no forced two columns of wide charts.
    CHECK(html.find("repeat(2, 1fr)") == std::string::npos);
    CHECK(html.find(".charts.wide { grid-template-columns: 1fr; }") != std::string::npos);
}

TEST_CASE("A fan chart marks the month its indicator reads, and its year labels do not collide",
          "[output][report]") {
    // An outside probe: Wuhan 2013's history checks (certified firms read at end-2013, 2018,
    // 2021) were drawn as the whole series with nothing at their month, their descriptions (the
    // published figures) were not on the page, and on ten years the labels ran together
    // ("end 2020end 2022").
    output::ReportFan f = fan("high_tech_2018", 121);
    f.targets.clear();
    f.read_at = "2024-12";
    f.description = "Certified firms at end-2024; published: 3,536 <[S&T]>";
    const std::string html = page_of(f);
    CHECK(count(html, "class=\"readat\"") == 1);
    CHECK(html.find(">read at 2024-12</text>") != std::string::npos);
    CHECK(html.find("<figcaption class=\"muted\">Certified firms at end-2024; published: 3,536 "
                    "&lt;[S&amp;T]&gt;</figcaption>") != std::string::npos);
    // Eleven year ends on a 300-pixel axis: every other one is labelled, none touching.
    const std::size_t labels = count(html, ">end 20");
    CHECK(labels >= 4);
    CHECK(labels < 11);
}

TEST_CASE("A fan chart with no value at all says so", "[output][report]") {
    // An outside tester: an indicator undefined in every replicate (every firm count 0) drew
    // an empty frame and its target's line, with no word under it.
    output::ReportFan f = fan("high_tech_growth", 13);
    const std::string drawn = page_of(f);
    CHECK(drawn.find("Nothing to draw") == std::string::npos);
    for (std::vector<double>* v : {&f.q05, &f.q25, &f.median, &f.q75, &f.q95}) {
        std::fill(v->begin(), v->end(), std::nan(""));
    }
    const std::string html = page_of(f);
    CHECK(html.find("Nothing to draw: the indicator is undefined in every replicate") !=
          std::string::npos);
}

TEST_CASE("A fan chart's axis labels its ticks in one form", "[output][report]") {
    // An outside probe: one axis read "8,000 / 10k / 12k", another "5,000 / 10k".
    output::ReportFan f = fan("firms", 13);
    for (std::vector<double>* v : {&f.q05, &f.q25, &f.median, &f.q75, &f.q95}) {
        for (double& x : *v) {
            x = 8000.0 + 25.0 * (x - 80.0); // 8,000 to 12,000
        }
    }
    f.targets.clear();
    const std::string html = page_of(f);
    CHECK(html.find(">8k</text>") != std::string::npos);
    CHECK(html.find(">10k</text>") != std::string::npos);
    CHECK(html.find(">8,000</text>") == std::string::npos);
}

TEST_CASE("A fan chart's target labels stay apart, and a far-off target does not flatten it",
          "[output][report]") {
    // An outside probe: thirteen targets on one indicator wrote their labels over each other, and
    // a target of 1,000 on an indicator near 80 stretched the axis until the fan was a line.
    output::ReportFan f = fan("leaders", 13); // the fan spans about 80 to 240
    f.targets.clear();
    for (const double threshold : {150.0, 152.0, 154.0, 156.0, 200.0}) {
        f.targets.push_back({">=", threshold, "2023-12"});
    }
    f.targets.push_back({">=", 100000.0, "2023-12"});
    const std::string html = page_of(f);
    CHECK(html.find(">target ≥ 100,000 (above) ↑</text>") != std::string::npos);
    CHECK(html.find(">100k</text>") == std::string::npos); // the axis stays near the fan
    CHECK(count(html, "class=\"target\"") == 5 + 1);       // its five lines, and the legend's
    // The labels' baselines, top down: at least a line apart.
    std::vector<double> ys;
    for (std::size_t at = html.find("class=\"target-label\""); at != std::string::npos;
         at = html.find("class=\"target-label\"", at + 1)) {
        const std::size_t y = html.rfind(" y=\"", at);
        ys.push_back(std::stod(html.substr(y + 4)));
    }
    REQUIRE(ys.size() >= 3);
    std::sort(ys.begin(), ys.end());
    for (std::size_t k = 1; k < ys.size(); ++k) {
        CHECK(ys[k] - ys[k - 1] >= 10.9);
    }
}
