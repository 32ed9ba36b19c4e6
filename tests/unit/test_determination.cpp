// engine::determine_by_inputs on a hand-made model whose answer is known: one series is an input
// times a lever, one carries the run's random events, one is a constant of the structure.
#include <canopy/engine/determination.hpp>
#include <canopy/engine/distributions.hpp>
#include <canopy/engine/error.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

using namespace canopy;
using namespace canopy::engine;

namespace {

// Parameters a, b, c; levers l0, l1. Series: fixed = a * l0 (the inputs decide it), noisy =
// b + a uniform draw of the run's key (the events do), constant = 7 (nothing moves it), and
// thresholded = min(c, 5) + b (c never binds; b, drawn per replicate, decides it).
ModelInfo toy_info() {
    ModelInfo m;
    m.name = "toy";
    m.parameters = {{"a", "", "input a", 2.0, {0.0, 100.0}, ParameterRole::parameter, false},
                    {"b", "", "input b", 1.0, {0.0, 100.0}, ParameterRole::parameter, false},
                    {"c", "", "input c", 9.0, {0.0, 100.0}, ParameterRole::parameter, true}};
    m.levers = {{"l0", "", "lever 0", 3.0, {0.0, 100.0}, "finance"},
                {"l1", "", "lever 1", 0.0, {0.0, 100.0}, "talent"}};
    m.series = {{"fixed", "", "", SeriesKind::stock},
                {"noisy", "", "", SeriesKind::stock},
                {"constant", "", "", SeriesKind::stock},
                {"thresholded", "", "", SeriesKind::stock}};
    return m;
}

Scenario toy_scenario() {
    Scenario s;
    s.name = "toy";
    s.model = "toy";
    s.calendar = Calendar(YearMonth{2023, 1}, 3);
    s.seed = 11;
    ParameterSetting a;
    a.value = Uncertain::fixed(2.0);
    ParameterSetting b;
    b.value = Uncertain{Uncertain::Kind::uniform, 1.0, 2.0, 0.0};
    ParameterSetting c;
    c.value = Uncertain::fixed(9.0);
    s.parameters = {a, b, c};
    LeverSetting l0;
    l0.schedule = Schedule::step(3.0, {{1.0, 4.0}});
    LeverSetting l1;
    l1.schedule = Schedule::constant(0.0);
    s.levers = {l0, l1};
    for (const char* name : {"fixed", "noisy", "constant", "thresholded"}) {
        IndicatorSpec spec;
        spec.id = name;
        spec.kind = IndicatorSpec::Kind::stock;
        spec.series = name;
        spec.at = YearMonth{2023, 3};
        s.indicators.push_back(spec);
    }
    return s;
}

SeriesTable toy_run(const RunInputs& in, const RandomKey& key) {
    SeriesTable t;
    const int rows = in.calendar.steps() + 1;
    t.resize(rows, 4);
    for (int r = 0; r < rows; ++r) {
        const double months = in.calendar.months_at_start(std::min(r, rows - 2));
        Stream rng(key, 0, static_cast<std::uint32_t>(r), 1);
        t.row(r)[0] = in.parameters[0] * in.levers[0].at(months);
        t.row(r)[1] = in.parameters[1] + uniform01(rng);
        t.row(r)[2] = 7.0;
        t.row(r)[3] = std::min(in.parameters[2], 5.0) + in.parameters[1];
    }
    return t;
}

// The first `replicates` replicates of `scenario` run by `run`, as an ensemble keeps them.
Ensemble ensemble_of(const Scenario& scenario, const RunReplicate& run, std::uint32_t replicates) {
    Ensemble ensemble;
    ensemble.seed = scenario.seed;
    for (std::uint32_t r = 0; r < replicates; ++r) {
        const RandomKey key{scenario.seed, r};
        const RunInputs in = replicate_inputs(scenario, key);
        ensemble.parameters.push_back(in.parameters);
        ensemble.runs.push_back(run(in, key));
    }
    return ensemble;
}

// The toy with one series, "quota" = min(l0, capacity): the capacity is 100 (room for the whole
// quota) for the keys `room` accepts, else 1.
struct QuotaToy {
    ModelInfo model = toy_info();
    Scenario scenario = toy_scenario();
    QuotaToy() {
        model.series = {{"quota", "", "", SeriesKind::stock}};
        scenario.indicators.resize(1);
        scenario.indicators[0].id = "quota";
        scenario.indicators[0].series = "quota";
    }
    [[nodiscard]] IndicatorSet indicators() const {
        return IndicatorSet(scenario.indicators, model, scenario.calendar);
    }
    static RunReplicate run(std::function<bool(const RandomKey&)> room) {
        return [room = std::move(room)](const RunInputs& in, const RandomKey& key) {
            SeriesTable t;
            t.resize(in.calendar.steps() + 1, 1);
            const double capacity = room(key) ? 100.0 : 1.0;
            for (int r = 0; r < t.rows; ++r) {
                t.row(r)[0] = std::min(in.levers[0].at(0.0), capacity);
            }
            return t;
        };
    }
};

} // namespace

TEST_CASE("Inputs that fix an indicator are found; the dynamics' indicators are left alone",
          "[unit][determination]") {
    const ModelInfo model = toy_info();
    const Scenario scenario = toy_scenario();
    const IndicatorSet indicators(scenario.indicators, model, scenario.calendar);
    Ensemble ensemble = ensemble_of(scenario, toy_run, 6);
    int runs = 0;
    const RunReplicate counted = [&](const RunInputs& in, const RandomKey& key) {
        ++runs;
        return toy_run(in, key);
    };
    const std::vector<std::size_t> which{0, 1, 2, 3};
    DeterminationOptions two_probes; // the run counts below are of the search, not of min_runs
    two_probes.min_runs = 0;
    const std::vector<Determination> d =
        determine_by_inputs(scenario, model, indicators, which, ensemble, counted, two_probes);
    REQUIRE(d.size() == 4);
    CHECK(d[0].by_inputs);
    CHECK(d[0].inputs == std::vector<std::string>{"a", "l0"});
    CHECK_FALSE(d[1].by_inputs);
    CHECK(d[1].inputs.empty());
    CHECK(d[2].by_inputs); // nothing moves a constant of the structure
    CHECK(d[2].inputs.empty());
    CHECK(d[3].by_inputs);
    CHECK(d[3].inputs == std::vector<std::string>{"b"});
    // Two probes, then group testing over 5 inputs: far fewer runs than one per input and pair.
    INFO(runs);
    CHECK(runs <= 2 + 1 + 2 * 3 * 3);

    // The same answer again (runs are keyed, not timed), and nothing to do when only the
    // dynamics' indicator is asked about.
    CHECK(determine_by_inputs(scenario, model, indicators, which, ensemble, counted)[0].inputs ==
          d[0].inputs);
    runs = 0;
    const std::vector<std::size_t> noisy_only{1};
    CHECK_FALSE(determine_by_inputs(scenario, model, indicators, noisy_only, ensemble, counted,
                                    two_probes)[0]
                    .by_inputs);
    CHECK(runs == 2); // the two probes only
    // With its default, an ensemble of 6 replicates is re-run in further rounds up to 20 runs.
    runs = 0;
    CHECK_FALSE(determine_by_inputs(scenario, model, indicators, noisy_only, ensemble, counted)[0]
                    .by_inputs);
    CHECK(runs == 14);
}

TEST_CASE("Determination refuses an empty ensemble and unknown indicators",
          "[unit][determination]") {
    const ModelInfo model = toy_info();
    const Scenario scenario = toy_scenario();
    const IndicatorSet indicators(scenario.indicators, model, scenario.calendar);
    const std::vector<std::size_t> which{0};
    CHECK_THROWS_AS(determine_by_inputs(scenario, model, indicators, which, Ensemble{}, toy_run),
                    canopy::Error);
    Ensemble one;
    one.seed = scenario.seed;
    const RunInputs in = replicate_inputs(scenario, RandomKey{scenario.seed, 0});
    one.parameters.push_back(in.parameters);
    one.runs.push_back(toy_run(in, RandomKey{scenario.seed, 0}));
    const std::vector<std::size_t> bad{9};
    CHECK_THROWS_AS(determine_by_inputs(scenario, model, indicators, bad, one, toy_run),
                    canopy::Error);
}

TEST_CASE("A bound that binds in the probed replicates but not in all is the dynamics'",
          "[unit][determination]") {
    // The first two replicates (the probes) always have room for the whole quota; later ones
    // are short of it. The probes alone would call it fixed by l0.
    const QuotaToy toy;
    const ModelInfo& model = toy.model;
    const Scenario& scenario = toy.scenario;
    const IndicatorSet indicators = toy.indicators();
    const RunReplicate run = QuotaToy::run([](const RandomKey& key) { return key.replicate < 2; });
    Ensemble ensemble = ensemble_of(scenario, run, 4);
    const std::vector<std::size_t> which{0};
    int runs = 0;
    const RunReplicate counted = [&](const RunInputs& in, const RandomKey& key) {
        ++runs;
        return run(in, key);
    };
    DeterminationOptions two_probes; // the run count below is of the search, not of min_runs
    two_probes.min_runs = 0;
    CHECK_FALSE(
        determine_by_inputs(scenario, model, indicators, which, ensemble, counted, two_probes)[0]
            .by_inputs);
    // The quota differs between replicates, and moving the inputs that differ between them (b,
    // drawn) leaves it unchanged: the dynamics' without a search (the two probes and that run).
    CHECK(runs == 3);
    // With only the two probed replicates and two probes, nothing contradicts the quota.
    ensemble.runs.resize(2);
    ensemble.parameters.resize(2);
    const Determination two =
        determine_by_inputs(scenario, model, indicators, which, ensemble, run, two_probes)[0];
    CHECK(two.by_inputs);
    CHECK(two.inputs == std::vector<std::string>{"l0"});
    // With min_runs, the ensemble is extended by new replicates: theirs are short of it.
    CHECK_FALSE(
        determine_by_inputs(scenario, model, indicators, which, ensemble, run)[0].by_inputs);
}

TEST_CASE("A small ensemble is re-run with further keys before its inputs are said to decide",
          "[unit][determination]") {
    // An outside probe: `canopy run -n 2` marked a leader quota "set by inputs (by construction)"
    // where it binds in about 87 % of runs: two replicates and two probes agreed by luck. Here the
    // quota binds for the ensemble's two replicates under their key and their probes' key, and
    // not under any other.
    const QuotaToy toy;
    const ModelInfo& model = toy.model;
    const Scenario& scenario = toy.scenario;
    const IndicatorSet indicators = toy.indicators();
    const std::uint64_t seed = scenario.seed;
    const RunReplicate run = QuotaToy::run([seed](const RandomKey& key) {
        return key.replicate < 2 && (key.seed == seed || key.seed == (seed ^ PROBE_SEED_MIX));
    });
    const Ensemble ensemble = ensemble_of(scenario, run, 2);
    const std::vector<std::size_t> which{0};
    DeterminationOptions luck;
    luck.min_runs = 0;
    CHECK(
        determine_by_inputs(scenario, model, indicators, which, ensemble, run, luck)[0].by_inputs);
    int runs = 0;
    const RunReplicate counted = [&](const RunInputs& in, const RandomKey& key) {
        ++runs;
        return run(in, key);
    };
    CHECK_FALSE(
        determine_by_inputs(scenario, model, indicators, which, ensemble, counted)[0].by_inputs);
    // 20 runs of evidence: the 2 replicates, their 2 probes and 8 new replicates run twice;
    // then, the quota differing between replicates, one run with the drawn inputs moved (which
    // leaves it unchanged): no search.
    CHECK(runs == 19);
    // One replicate: its probe and 9 new replicates run twice, and that run.
    const Ensemble one = ensemble_of(scenario, run, 1);
    runs = 0;
    CHECK_FALSE(determine_by_inputs(scenario, model, indicators, which, one, counted)[0].by_inputs);
    CHECK(runs == 20);
}

TEST_CASE("A small ensemble is extended by new draws of its inputs, not only of its events",
          "[unit][determination]") {
    // An outside probe: `canopy run -n 4 --seed 3` marked the leader quota "set by inputs" where
    // 32 of 40 replicates of the same run attain it. The further rounds re-ran the same four
    // posterior draws with new events, and under those four the quota binds whatever happens.
    // Here the quota binds whatever the events when b (drawn per replicate in [1, 2]) is at most
    // the larger b of the ensemble's two replicates; above that, only for half the keys.
    QuotaToy toy;
    const ModelInfo& model = toy.model;
    Scenario& scenario = toy.scenario;
    const IndicatorSet indicators = toy.indicators();
    const auto b_of = [&](std::uint32_t r) {
        return replicate_inputs(scenario, RandomKey{scenario.seed, r}).parameters[1];
    };
    // The first seed whose two replicates drew b below most of the next 18 (a fixed search).
    int above = 0; // of the replicates a larger ensemble would run next
    double threshold = 0.0;
    for (scenario.seed = 1; above < 9; ++scenario.seed) {
        threshold = std::max(b_of(0), b_of(1));
        above = 0;
        for (std::uint32_t r = 2; r < 20; ++r) {
            above += b_of(r) > threshold ? 1 : 0;
        }
    }
    --scenario.seed;
    const RunReplicate run = [threshold](const RunInputs& in, const RandomKey& key) {
        Stream rng(key, 0, 0, 7);
        const bool room = in.parameters[1] <= threshold || uniform01(rng) < 0.5;
        SeriesTable t;
        t.resize(in.calendar.steps() + 1, 1);
        for (int r = 0; r < t.rows; ++r) {
            t.row(r)[0] = std::min(in.levers[0].at(0.0), room ? 100.0 : 1.0);
        }
        return t;
    };
    const Ensemble ensemble = ensemble_of(scenario, run, 2);
    const std::vector<std::size_t> which{0};
    CHECK_FALSE(
        determine_by_inputs(scenario, model, indicators, which, ensemble, run)[0].by_inputs);
    // The new replicates' draws are those of a larger ensemble: its answer is the same.
    const Ensemble larger = ensemble_of(scenario, run, 20);
    CHECK_FALSE(determine_by_inputs(scenario, model, indicators, which, larger, run)[0].by_inputs);
}

TEST_CASE("An input at zero with a huge range is probed by a modest step",
          "[unit][determination]") {
    // births (firms a month, range [0, 1e9] like the reference model's births_per_month) is 0
    // and decides "born". A probe that moved it by 1 % of its range ran 10 million newborns a
    // month; a run's size grows with it, so the probe must move it by little.
    ModelInfo model = toy_info();
    model.parameters.push_back(
        {"births", "firms/month", "", 300.0, {0.0, 1.0e9}, ParameterRole::parameter, false});
    model.series = {{"born", "", "", SeriesKind::stock}};
    Scenario scenario = toy_scenario();
    ParameterSetting births;
    births.value = Uncertain::fixed(0.0);
    scenario.parameters.push_back(births);
    scenario.indicators.resize(1);
    scenario.indicators[0].id = "born";
    scenario.indicators[0].series = "born";
    const IndicatorSet indicators(scenario.indicators, model, scenario.calendar);
    double largest = 0.0;
    const RunReplicate run = [&](const RunInputs& in, const RandomKey&) {
        largest = std::max(largest, in.parameters[3]);
        SeriesTable t;
        t.resize(in.calendar.steps() + 1, 1);
        for (int r = 0; r < t.rows; ++r) {
            t.row(r)[0] = in.parameters[3] * r;
        }
        return t;
    };
    Ensemble ensemble = ensemble_of(scenario, run, 3);
    const std::vector<std::size_t> which{0};
    const Determination d =
        determine_by_inputs(scenario, model, indicators, which, ensemble, run)[0];
    CHECK(d.by_inputs);
    CHECK(d.inputs == std::vector<std::string>{"births"});
    CHECK(d.not_probed.empty());
    CHECK(largest > 0.0);
    CHECK(largest <= 1.0); // one firm a month, not 1 % of the range
}

TEST_CASE("An input whose probe fails is named as not probed, with why", "[unit][determination]") {
    // The model refuses any other value of a (say, out of memory): whether a decides "fixed"
    // cannot be known, and the result must say so rather than count it as moving nothing.
    const ModelInfo model = toy_info();
    const Scenario scenario = toy_scenario();
    const IndicatorSet indicators(scenario.indicators, model, scenario.calendar);
    const RunReplicate run = [](const RunInputs& in, const RandomKey& key) {
        if (in.parameters[0] != 2.0) {
            throw canopy::Error("no room for a = " + std::to_string(in.parameters[0]));
        }
        return toy_run(in, key);
    };
    Ensemble ensemble = ensemble_of(scenario, toy_run, 4);
    const std::vector<std::size_t> which{0, 2};
    const std::vector<Determination> d =
        determine_by_inputs(scenario, model, indicators, which, ensemble, run);
    REQUIRE(d.size() == 2);
    CHECK(d[0].by_inputs);
    CHECK(d[0].inputs == std::vector<std::string>{"l0"}); // a could not be tried
    REQUIRE(d[0].not_probed.size() == 1);
    CHECK(d[0].not_probed[0] == "a (its perturbed run failed: no room for a = 2.200000)");
    CHECK(d[1].not_probed == d[0].not_probed);
}

TEST_CASE("A lever set to 0 from a month on is probed from 0, and named as what decides",
          "[unit][determination]") {
    // An outside probe: `--set leader_quota=0` (the quota 30 in 2022, 0 from 2023) left leader
    // enterprises at 0, and the label said "by the inputs jointly (no single one moves it)": the
    // probe scaled the schedule by 10 %, and 0 stayed 0. "fixed" = a * l0 at the run's end, with
    // l0 3 in the first month and 0 from the second: l0 alone decides it.
    const ModelInfo model = toy_info();
    Scenario scenario = toy_scenario();
    scenario.levers[0].schedule = Schedule::step(3.0, {{1.0, 0.0}});
    const IndicatorSet indicators(scenario.indicators, model, scenario.calendar);
    const Ensemble ensemble = ensemble_of(scenario, toy_run, 3);
    const std::vector<std::size_t> which{0};
    const Determination d =
        determine_by_inputs(scenario, model, indicators, which, ensemble, toy_run)[0];
    CHECK(d.by_inputs);
    CHECK(d.inputs == std::vector<std::string>{"l0"});
}
