// Calibration files: a valid file becomes observations with the right kinds, months, errors and
// indicators; each kind of mistake is a diagnostic at its file, line and key.
#include <canopy/experiments/calibration.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace canopy::experiments;

namespace {

namespace fs = std::filesystem;

const fs::path DIR = fs::path(CANOPY_BINARY_DIR) / "calibration-file-tests";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

// A history for the reference model (figures invented for the test: a test of the format, not
// data) and a scenario over 2021-2023 that extends the shipped reference scenario.
const char* DATA = R"csv(series,year,value,unit,source,quote
ref_high_tech,2021,640,firms,test,"q"
ref_high_tech,2022,700,"firms (as of Oct 2022, not a year-end figure)",test,q
ref_high_tech,2022,690,firms,other test,q
ref_exits,2021,300,firms,test,q
ref_exits,2022,250,"firms (lower bound, ""突破250"")",test,q
ref_exits,2023,280,"firms (approx, 约280)",test,q
ref_leaders,2023,2,"firms (forecast, 预计)",test,q
ref_unused,2023,1,x,test,q
)csv";

std::string scenario_text() {
    return "extends = \"" +
           (fs::path(CANOPY_SOURCE_DIR) / "scenarios" / "reference.toml").string() +
           "\"\n[scenario]\nname = \"ref_history\"\nstart = \"2021-01\"\nend = \"2023-12\"\n";
}

// A calibration file body; `extra` is appended.
std::string calibration(const std::string& extra) {
    return R"([calibration]
name = "test"
scenario = "history.toml"
data = "history.csv"
seed = 3

[parameters.births_per_month]
prior = "uniform"
low = 5
high = 30
assumption = "a test"

[observations.high_tech]
series = "ref_high_tech"
model_series = "high_tech"
[[observations.high_tech.rows]]
year = 2022
value = 700
at = "2022-09"

[observations.exits]
series = "ref_exits"
model_series = "exits"
)" + extra;
}

CalibrationLoad load(const std::string& name, const std::string& text,
                     const std::string& data = DATA, const CalibrationFlags& flags = {}) {
    const fs::path dir = DIR / name;
    fs::remove_all(dir);
    write(dir / "history.toml", scenario_text());
    write(dir / "history.csv", data);
    write(dir / "calibration.toml", text);
    return load_calibration(dir / "calibration.toml", flags);
}

canopy::engine::Diagnostic only_error(const CalibrationLoad& r) {
    INFO(r.diagnostics.format());
    REQUIRE(r.diagnostics.size() == 1);
    CHECK_FALSE(r.calibration.has_value());
    return r.diagnostics.items().front();
}

} // namespace

TEST_CASE("a calibration file maps each figure as its unit says", "[scenario]") {
    const CalibrationLoad r = load("valid", calibration(R"(
[observations.leaders]
series = "ref_leaders"
model_series = "leader"
sd = 1.5
)"));
    INFO(r.diagnostics.format());
    REQUIRE(r.calibration.has_value());
    const Calibration& c = *r.calibration;
    CHECK(c.name == "test");
    CHECK(c.method == CalibrationMethod::abc_smc);
    CHECK(c.seed == 3);
    REQUIRE(c.parameters.size() == 1);
    CHECK(c.parameters[0].target.name == "births_per_month");
    CHECK(c.parameters[0].prior.lower() == 0.0); // the model's range: [0, 1e9]
    REQUIRE(c.observations.size() == 7);
    CHECK(c.unused_series == std::vector<std::string>{"ref_unused"});
    const auto& ht21 = c.observations[0];
    CHECK(ht21.id == "high_tech_2021");
    CHECK(ht21.measure == Measure::stock);
    CHECK(ht21.at == canopy::engine::YearMonth{2021, 12});
    CHECK(ht21.kind_text() == "exact");
    CHECK(ht21.sd == Approx(0.05 * 640));
    // The mid-year stock sits at its month; the other source of 2022 is kept beside it.
    const auto& ht22 = c.observations[1];
    CHECK(ht22.id == "high_tech_2022");
    CHECK(ht22.at == canopy::engine::YearMonth{2022, 9});
    CHECK(c.observations[2].id == "high_tech_2022_2");
    CHECK(c.observations[2].at == canopy::engine::YearMonth{2022, 12});
    // A flow over the year; a lower bound; an approximation with twice the error.
    const auto& ex21 = c.observations[3];
    CHECK(ex21.measure == Measure::flow);
    CHECK(ex21.from == canopy::engine::YearMonth{2021, 1});
    CHECK(ex21.to == canopy::engine::YearMonth{2021, 12});
    CHECK(c.observations[4].lower_bound);
    CHECK(c.observations[4].kind_text() == "lower bound");
    CHECK(c.observations[5].approximate);
    CHECK(c.observations[5].sd == Approx(2 * 0.05 * 280));
    // A forecast: three times its (absolute) error.
    CHECK(c.observations[6].forecast);
    CHECK(c.observations[6].sd == Approx(3 * 1.5));
    // One indicator per figure, after the scenario's own.
    CHECK(c.scenario->indicators.size() == c.scenario_indicators + 7);
    CHECK(c.scenario->indicators[ht22.indicators[0]].at == canopy::engine::YearMonth{2022, 9});
    CHECK(c.fitted().size() == 7);
}

TEST_CASE("fit_until holds later figures back, and the flag overrides the file", "[scenario]") {
    CalibrationFlags flags;
    flags.fit_until = 2021;
    const CalibrationLoad r = load("until", calibration("") + "\n", DATA, flags);
    INFO(r.diagnostics.format());
    REQUIRE(r.calibration.has_value());
    for (const Observation& o : r.calibration->observations) {
        CHECK(o.fitted == (o.row.year <= 2021));
    }
    // Held back by the flag: the flag is named, not the file.
    flags.fit_until = 2020;
    const auto d = only_error(load("until-none", calibration(""), DATA, flags));
    CHECK(d.file.empty());
    CHECK(d.key == "--fit-until");
    CHECK(d.line == 0);
    CHECK(d.message == "no figure is fitted: every figure " +
                           (DIR / "until-none" / "calibration.toml").generic_string() +
                           " maps is after 2020");
    // Held back by the file's own fit_until: the file is named.
    const auto f = only_error(
        load("until-file", replaced(calibration(""), "seed = 3", "seed = 3\nfit_until = 2020")));
    CHECK(f.file == (DIR / "until-file" / "calibration.toml").generic_string());
    CHECK(f.key == "observations");
    CHECK(f.message == "no figure is fitted: every mapped figure is after fit_until 2020");
}

TEST_CASE("bad calibration files and data rows are reported where they are", "[scenario]") {
    SECTION("a series the data does not have") {
        const auto d = only_error(load("series", calibration(R"(
[observations.more]
series = "ref_exit"
model_series = "exits"
)")));
        CHECK(d.file == (DIR / "series" / "calibration.toml").generic_string());
        CHECK(d.line == 26);
        CHECK(d.key == "observations.more.series");
        CHECK(d.message == "the data file has no series 'ref_exit'");
        CHECK(d.hint == "did you mean 'ref_exits'?");
    }
    SECTION("a model series the model does not have") {
        const auto d = only_error(load("model-series", calibration(R"(
[observations.more]
series = "ref_unused"
model_series = "leaders"
)")));
        CHECK(d.line == 27);
        CHECK(d.key == "observations.more.model_series");
        CHECK(d.message == "model 'reference' has no series 'leaders'");
        CHECK(d.hint == "did you mean 'leader'?");
    }
    SECTION("a prior with no width to fit") {
        // sigma = 1e-300 passed, and the calibration ran until every proposal fell outside it.
        const auto d = only_error(
            load("width", replaced(calibration(""), "prior = \"uniform\"\nlow = 5\nhigh = 30",
                                   "prior = \"lognormal\"\nmedian = 15\nsigma = 1e-300")));
        CHECK(d.line == 8);
        CHECK(d.key == "parameters.births_per_month.prior");
        CHECK_THAT(d.message, Catch::StartsWith("the prior ") &&
                                  Catch::Contains("has no width to fit: 98 % of it lies in [15, "
                                                  "15]"));
        // A narrow prior that doubles can resolve is fitted.
        const auto narrow =
            load("narrow", replaced(calibration(""), "prior = \"uniform\"\nlow = 5\nhigh = 30",
                                    "prior = \"lognormal\"\nmedian = 15\nsigma = 1e-6"));
        INFO(narrow.diagnostics.format());
        CHECK(narrow.calibration.has_value());
    }
    SECTION("a data file in another encoding than UTF-8") {
        // "firms 武汉" in GBK (CE E4 BA BA): it was taken, the calibration ran, and its JSON
        // writer stopped on the bytes at the end; the posterior's units were not UTF-8.
        const std::string data = replaced(DATA, "300,firms", "300,\"firms \xCE\xE4\xBA\xBA\"");
        const auto d = only_error(load("encoding", calibration(""), data));
        CHECK(d.file == (DIR / "encoding" / "history.csv").generic_string());
        CHECK(d.line == 5);
        CHECK(d.column == 27); // the first byte of the two GBK characters
        CHECK_THAT(d.message,
                   Catch::StartsWith("the file is not valid UTF-8: ") && Catch::Contains("0xCE"));
        CHECK_THAT(d.allowed, Catch::Contains("UTF-8"));
    }
    SECTION("a value that is not a number") {
        const std::string data = replaced(DATA, "300,firms", "3OO,firms");
        const auto d = only_error(load("value", calibration(""), data));
        CHECK(d.file == (DIR / "value" / "history.csv").generic_string());
        CHECK(d.line == 5);
        CHECK(d.column == 16);
        CHECK(d.key == "value");
        CHECK(d.message == "'3OO' is not a number");
    }
    SECTION("a year outside the run") {
        std::string data = DATA;
        data += "ref_exits,2020,310,firms,test,q\n";
        const auto d = only_error(load("year", calibration(""), data));
        CHECK(d.file == (DIR / "year" / "history.csv").generic_string());
        CHECK(d.line == 10);
        CHECK(d.key == "year");
        CHECK(d.message == "2020 is outside the run of scenario 'ref_history' (2021-01 .. "
                           "2023-12): its flow from 2020-01 is not in 2021-01 .. 2023-12");
    }
    SECTION("a prior with no mass inside its bounds") {
        const std::string text =
            replaced(calibration(""), "prior = \"uniform\"\nlow = 5\nhigh = 30",
                     "prior = \"normal\"\nmean = 50\nsd = 0.1\nupper = 40");
        const auto d = only_error(load("prior", text));
        CHECK(d.line == 8);
        CHECK(d.key == "parameters.births_per_month.prior");
        CHECK(d.message == "the prior normal(mean 50, sd 0.1) has no mass inside its bounds "
                           "[0, 40] (it puts 0 there)");
    }
    SECTION("a uniform prior whose low is not below its high") {
        // Said as the prior's rule, not the scenario's "needs low <= high" (a scenario's uniform
        // may be a point; a prior may not).
        for (const char* bounds : {"low = 30\nhigh = 5", "low = 5\nhigh = 5"}) {
            const std::string text = replaced(calibration(""), "low = 5\nhigh = 30", bounds);
            const auto d = only_error(load("flat-prior", text));
            CHECK(d.key == "parameters.births_per_month.prior");
            CHECK(d.message == "the uniform prior's fields are not valid: low must be below high");
        }
    }
    SECTION("a mid-year figure that does not say where it sits") {
        const std::string text = replaced(calibration(""),
                                          "[[observations.high_tech.rows]]\nyear = 2022\nvalue "
                                          "= 700\nat = \"2022-09\"\n",
                                          "");
        const auto d = only_error(load("partial", text));
        CHECK(d.line == 3);
        CHECK(d.key == "unit");
        CHECK(d.message == "'ref_high_tech' 2022 is not a whole-year figure ('firms (as of Oct "
                           "2022, not a year-end figure)'): say where it sits");
    }
    SECTION("an unknown parameter, a whole-numbered one, an unknown key") {
        const CalibrationLoad r = load("parameters", calibration(R"(
[parameters.birth_per_month]
prior = "uniform"
low = 1
high = 2
assumption = "a"
[parameters.edges_per_firm]
prior = "uniform"
low = 1
high = 5
assumption = "a"
[error]
relative_sd = 0.05
relativ_sd = 1
)"));
        INFO(r.diagnostics.format());
        REQUIRE(r.diagnostics.size() == 3);
        CHECK(r.diagnostics.items()[0].key == "error.relativ_sd");
        CHECK(r.diagnostics.items()[0].hint == "did you mean 'relative_sd'?");
        CHECK(r.diagnostics.items()[1].message ==
              "model 'reference' has no parameter, baseline or lever 'birth_per_month'");
        CHECK(r.diagnostics.items()[1].hint == "did you mean 'births_per_month'?");
        CHECK(r.diagnostics.items()[2].message ==
              "'edges_per_firm' takes whole numbers only; calibration fits continuous "
              "parameters");
    }
    SECTION("a data row pasted twice") {
        std::string data = DATA;
        data += "ref_exits,2021,300,firms,test,q\n"; // line 5 again
        const auto d = only_error(load("row-twice", calibration(""), data));
        CHECK(d.file == (DIR / "row-twice" / "history.csv").generic_string());
        CHECK(d.line == 10);
        CHECK(d.message == "this row repeats line 5 field for field: the figure would count twice");
    }
    SECTION("a series mapped by two tables") {
        // Each exits figure was fitted twice, and so weighed twice, without a word.
        const auto d = only_error(load("mapped-twice", calibration(R"(
[observations.exits_again]
series = "ref_exits"
model_series = "exits"
)")));
        CHECK(d.line == 26);
        CHECK(d.key == "observations.exits_again.series");
        CHECK(d.message == "the figure of 'ref_exits' in 2021 (line 5 of the data file) is also "
                           "fitted by observations.exits: it would weigh twice");
        // Two tables of one series on different years are two sets of figures: accepted.
        const auto split = load("mapped-by-years", calibration(R"(years = [2021]
[observations.exits_later]
series = "ref_exits"
model_series = "exits"
years = [2022, 2023]
)"));
        INFO(split.diagnostics.format());
        CHECK(split.calibration.has_value());
    }
    SECTION("an empty list of years") {
        // It fitted nothing of the series, said only as "data series not used".
        const auto d = only_error(load("no-years", calibration("years = []\n")));
        CHECK(d.key == "observations.exits.years");
        CHECK(d.message == "the list is empty");
    }
    SECTION("a hold-out that holds nothing back") {
        const std::string text =
            replaced(calibration(""), "seed = 3\n", "seed = 3\nfit_until = 2030\n");
        const auto d = only_error(load("hold-nothing", text));
        CHECK(d.line == 6);
        CHECK(d.key == "calibration.fit_until");
        CHECK(d.message ==
              "fit_until 2030 holds no figure back: the last mapped figure is of 2023");
        CalibrationFlags flags;
        flags.fit_until = 2023;
        const auto f = only_error(load("hold-nothing-flag", calibration(""), DATA, flags));
        CHECK(f.key == "--fit-until");
        CHECK(f.message ==
              "fit_until 2023 holds no figure back: the last mapped figure is of 2023");
    }
    SECTION("a negative figure for a count") {
        // -250 exits in a year were accepted, and fitted as such.
        std::string data = DATA;
        data.replace(data.find("ref_exits,2021,300"), 18, "ref_exits,2021,-300");
        const auto d = only_error(load("negative", calibration(""), data));
        CHECK(d.line == 5);
        CHECK(d.column == 16); // at the value, as other errors of a value are (it was column 1)
        CHECK(d.key == "value");
        CHECK(d.message == "a figure of -300 for the flow of 'exits', which is never below 0");
        CHECK(d.allowed == "0 or more; a fall from the year before is observations.exits.measure "
                           "= \"change\"");
        // As a change of a stock it may be negative.
        data = DATA;
        data.replace(data.find("ref_high_tech,2022,690"), 22, "ref_high_tech,2022,-40");
        std::string text = calibration("");
        text.replace(text.find("model_series = \"high_tech\"\n"), 26,
                     "model_series = \"high_tech\"\nmeasure = \"change\"\n");
        const CalibrationLoad change = load("negative-change", text, data);
        INFO(change.diagnostics.format());
        CHECK(change.calibration.has_value());
    }
    SECTION("two [[rows]] entries for one row") {
        // The second would silently override the first's bound; whichever order, it is named.
        const auto d = only_error(load("rule-twice", calibration(R"([[observations.exits.rows]]
year = 2022
bound = "none"
[[observations.exits.rows]]
year = 2022
bound = "lower"
)")));
        CHECK(d.key == "observations.exits.rows[1]");
        CHECK(d.line == 27); // its [[rows]] line
        CHECK(d.message == "places the same row as observations.exits.rows[0] (the 2022 figure "
                           "of 'ref_exits', line 6 of history.csv)");
    }
    SECTION("[[rows]] entries that match both rows of a year") {
        // rows[0] places the 2022 row of 700; rows[1] and rows[2] match both 2022 rows. Each is
        // said once, against the first entry that placed a row before it.
        const CalibrationLoad r = load("rules-both", calibration(R"([[observations.high_tech.rows]]
year = 2022
approximate = true
[[observations.high_tech.rows]]
year = 2022
forecast = true
)"));
        INFO(r.diagnostics.format());
        REQUIRE(r.diagnostics.size() == 2);
        CHECK_FALSE(r.calibration.has_value());
        const auto& d = r.diagnostics.items();
        CHECK(d[0].key == "observations.high_tech.rows[1]");
        CHECK(d[0].message == "places the same row as observations.high_tech.rows[0] (the 2022 "
                              "figure of 'ref_high_tech', line 3 of history.csv)");
        CHECK(d[1].key == "observations.high_tech.rows[2]");
        CHECK(d[1].message == "places the same row as observations.high_tech.rows[0] (the 2022 "
                              "figure of 'ref_high_tech', line 3 of history.csv)");
    }
    SECTION("a year listed twice") {
        const auto d = only_error(load("years", calibration("years = [2021, 2022, 2021]\n")));
        CHECK(d.key == "observations.exits.years[2]");
        CHECK(d.message == "2021 is listed twice");
    }
    SECTION("a budget smaller than the pilot's particles x replicates") {
        const auto d = only_error(load("budget", calibration(R"(
[abc_smc]
particles = 100
replicates_per_particle = 3
max_simulations = 299
)")));
        CHECK(d.key == "abc_smc.max_simulations");
        CHECK(d.message == "the budget of 299 simulations is smaller than one generation of 100 "
                           "particles of 3 replicates each");
        CHECK(d.hint.empty());
    }
    SECTION("the default budget smaller than the particles asked for") {
        const auto d = only_error(load("default-budget", calibration("\n[abc_smc]\nparticles = "
                                                                     "300000\n")));
        CHECK(d.line == 26);
        CHECK(d.key == "abc_smc.particles");
        CHECK(d.message == "300000 particles of 1 replicates each need 300000 simulations for "
                           "one generation, more than the default budget of 200000");
        CHECK(d.allowed == "abc_smc.max_simulations = 300000 or more");
    }
    SECTION("a key given twice, once in quotes") {
        const auto d = only_error(load("twice", calibration(R"(
[abc_smc]
max_simulations = 1000
"max_simulations" = 2000
)")));
        CHECK(d.line == 27);
        CHECK(d.column == 1);
        CHECK(d.key == "abc_smc.max_simulations");
        CHECK(d.message == "defined twice; first at line 26 (written here as \"max_simulations\")");
    }
    SECTION("a figure whose error sd squares to a subnormal number") {
        const std::string data = replaced(DATA, "ref_exits,2021,300,", "ref_exits,2021,1e-300,");
        const auto d = only_error(load("tiny-sd", calibration(""), data));
        CHECK(d.file == (DIR / "tiny-sd" / "history.csv").generic_string());
        CHECK(d.line == 5);
        CHECK(d.key == "value");
        CHECK(d.message.find("is too far from 1 for its square to be a normal number") !=
              std::string::npos);
    }
    SECTION("a scale so large that scaled figures would overflow") {
        const std::string text = replaced(calibration(""), "model_series = \"exits\"\n",
                                          "model_series = \"exits\"\nscale = 1e308\n");
        const auto d = only_error(load("huge-scale", text));
        CHECK(d.key == "observations.exits.scale");
        CHECK(d.line == 24);
        CHECK(d.allowed.find("from 1e-150 to 1e150 in size") != std::string::npos);
        const std::string ok = replaced(calibration(""), "model_series = \"exits\"\n",
                                        "model_series = \"exits\"\nscale = -1e150\n");
        const CalibrationLoad r = load("large-scale", ok);
        INFO(r.diagnostics.format());
        CHECK(r.calibration.has_value());
    }
    SECTION("a scenario that does not load is reported with its own diagnostics") {
        const std::string text = replaced(calibration(""), "history.toml", "nowhere.toml");
        const CalibrationLoad r = load("scenario", text);
        REQUIRE(r.diagnostics.size() == 2);
        CHECK(r.diagnostics.items()[1].key == "calibration.scenario");
    }
}

TEST_CASE("a calibration's runs are identified without its stopping rules and comments",
          "[scenario]") {
    // Each loaded in the same directory: the scenario's text names its files.
    const auto fingerprints = [](const std::string& text) {
        const CalibrationLoad r = load("runs", text);
        REQUIRE(r.calibration);
        return std::pair{r.calibration->journal_fingerprint(), r.calibration->fingerprint()};
    };
    const std::string text = calibration("\n[abc_smc]\nparticles = 50\nmax_simulations = 500\n");
    const auto a = fingerprints(text);
    // The budget and the stopping rule change how many runs are made, never a run; a comment
    // changes nothing.
    const auto b =
        fingerprints("# a comment\n" + replaced(text, "max_simulations = 500",
                                                "max_simulations = 5000\nmin_acceptance = 0"));
    CHECK(a.first == b.first);
    CHECK(a.second != b.second); // the result still records the file as it was
    // Anything else that changes the runs changes it.
    CHECK(fingerprints(replaced(text, "particles = 50", "particles = 51")).first != a.first);
    CHECK(fingerprints(replaced(text, "high = 30", "high = 30.5")).first != a.first);
    CHECK(fingerprints(replaced(text, "seed = 3", "seed = 4")).first != a.first);
}

TEST_CASE("a calibration's fingerprints do not depend on how its path is spelled", "[scenario]") {
    // An outside probe: `canopy calibrate ./c.toml --resume` after an interrupted
    // `canopy calibrate c.toml` was refused as another calibration, because the scenario's text
    // names its files as given.
    const CalibrationLoad plain = load("spelled", calibration(""));
    REQUIRE(plain.calibration);
    const fs::path dir = DIR / "spelled";
    const CalibrationLoad dotted = load_calibration(dir / "." / "calibration.toml", {});
    const CalibrationLoad around =
        load_calibration(dir / ".." / "spelled" / "calibration.toml", {});
    REQUIRE(dotted.calibration);
    REQUIRE(around.calibration);
    REQUIRE(dotted.calibration->scenario->text != plain.calibration->scenario->text);
    for (const CalibrationLoad* other : {&dotted, &around}) {
        CHECK(other->calibration->fingerprint() == plain.calibration->fingerprint());
        CHECK(other->calibration->journal_fingerprint() ==
              plain.calibration->journal_fingerprint());
    }
}

TEST_CASE("a prior that breaks a model's rule across parameters is refused at the prior",
          "[scenario]") {
    // A prior on share_auto up to 0.95 put up to 148 % of the firms in the five sectors, and the
    // calibration ran without a word: every value the priors can draw is checked, with the
    // scenario's other settings.
    const fs::path shipped = fs::path(CANOPY_SOURCE_DIR) / "scenarios";
    const auto load_wuhan = [&](const std::string& priors) {
        const fs::path dir = DIR / "rules";
        fs::remove_all(dir);
        write(dir / "calibration.toml",
              "[calibration]\nname = \"rules\"\nscenario = \"" +
                  (shipped / "wuhan-2013.toml").generic_string() + "\"\ndata = \"" +
                  (shipped / "data" / "wuhan-history.csv").generic_string() + "\"\nseed = 1\n" +
                  priors +
                  "[observations.high_tech]\nseries = \"wuhan_high_tech_enterprises\"\n"
                  "model_series = \"high_tech_enterprises\"\nmeasure = \"stock\"\n"
                  "[[observations.high_tech.rows]]\nyear = 2022\nat = \"2022-09\"\n");
        return load_calibration(dir / "calibration.toml");
    };
    const auto shares = load_wuhan("[parameters.share_auto]\nprior = \"uniform\"\nlow = 0.1\n"
                                   "high = 0.95\nassumption = \"a test\"\n");
    const canopy::engine::Diagnostic d = only_error(shares);
    CHECK(d.line == 6);
    CHECK(d.key == "parameters.share_auto");
    CHECK_THAT(d.message,
               Catch::StartsWith("over the priors' draws, the sector shares can sum to 1.48 at "
                                 "their largest draws, more than 1") &&
                   Catch::Contains("share_auto = from 0.1 to 0.95 (the prior of share_auto)"));
    CHECK_THAT(d.allowed, Catch::StartsWith("a sum of at most 1, for every value the priors"));
    // The bounds truncate the prior: a loan growth from -0.5 is refused, from -0.2 it is not.
    const std::string loans = "[parameters.initial_loan_growth]\nprior = \"uniform\"\nlow = -0.5\n"
                              "high = 0.3\nassumption = \"a test\"\n";
    const canopy::engine::Diagnostic l = only_error(load_wuhan(loans));
    CHECK(l.key == "parameters.initial_loan_growth");
    CHECK_THAT(l.message, Catch::Contains("where the draws reach initial_loan_growth = -0.5, "
                                          "loan_term_months = 36"));
    const auto bounded = load_wuhan(loans + "lower = -0.2\n");
    INFO(bounded.diagnostics.format());
    CHECK(bounded.calibration.has_value());
}

TEST_CASE("a unit keyword after a negation is refused, not read as its keyword", "[scenario]") {
    // An outside tester's units: each was fitted as a forecast (x3 sd), an approximation (x2) or
    // a one-sided floor, the negation unread.
    const std::vector<std::pair<std::string, std::string>> units = {
        {"firms (final; not a forecast)", "not a forecast"},
        {"firms (exact, not approximate)", "not approx"},
        {"firms (no lower bound implied)", "no lower bound"},
        {"firms (isn't about 300)", "isn't about"},
        {"firms (non-forecast)", "non-forecast"},
        {"firms (不超过300家)", "不超"},
        {"firms (并非预计)", "非预计"},
        // A reviewer's, past the first windows (two characters, four words).
        {"firms (this is not in any way a forecast)", "not in any way a forecast"},
        {"firms（不属于预计数）", "不属于预计"},
    };
    for (const auto& [unit, phrase] : units) {
        INFO(unit);
        const std::string data =
            replaced(DATA, "ref_exits,2021,300,firms,", "ref_exits,2021,300,\"" + unit + "\",");
        const auto d = only_error(load("negated", calibration(""), data));
        CHECK(d.file == (DIR / "negated" / "history.csv").generic_string());
        CHECK(d.line == 5);
        CHECK(d.column == 20);
        CHECK(d.key == "unit");
        CHECK(d.message == "the unit '" + unit + "' of 'ref_exits' 2021 says '" + phrase +
                               "': a qualifier with a negation is ambiguous (the unit's "
                               "keywords are read without it, and this figure would be fitted "
                               "as " +
                               (phrase.find("forecast") != std::string::npos ||
                                        phrase.find("预计") != std::string::npos
                                    ? "a forecast, with 3 x its error)"
                                : phrase.find("bound") != std::string::npos ||
                                        phrase.find("超") != std::string::npos
                                    ? "a lower bound, one-sided)"
                                    : "an approximation, with 2 x its error)"));
        CHECK_THAT(d.allowed, Catch::StartsWith("the unit written plainly, its qualifier only "
                                                "where it holds ('firms' for an exact figure)") &&
                                  Catch::Contains("[[observations.exits.rows]] with year = 2021"));
    }
    // A [[rows]] entry that says what the figure is settles it.
    const std::string data = replaced(DATA, "ref_exits,2021,300,firms,",
                                      "ref_exits,2021,300,\"firms (final; not a forecast)\",");
    const CalibrationLoad settled =
        load("negated-settled",
             calibration("[[observations.exits.rows]]\nyear = 2021\nforecast = false\n"), data);
    INFO(settled.diagnostics.format());
    REQUIRE(settled.calibration.has_value());
    CHECK_FALSE(settled.calibration->observations[3].forecast);
    CHECK(settled.calibration->observations[3].kind_text() == "exact");
    // Negations elsewhere in the unit, as the shipped histories write them, do not count.
    for (const char* unit :
         {"firms (as of Oct 2022; NOT a year-end figure)", "firms (not a year-end figure, approx)",
          "firms (table no. 4, approx)", "firms (lower bound, \"\"700户以上\"\")",
          // A reviewer's: the negation belongs to another remark, a comma apart.
          "firms (not seasonally adjusted, approx)", "firms (excluding non-resident, about)",
          "firms (no revisions, about)", "firms (非国有，约)"}) {
        INFO(unit);
        const std::string plain = replaced(DATA, "ref_exits,2021,300,firms,",
                                           std::string("ref_exits,2021,300,\"") + unit + "\",");
        const CalibrationLoad r = load(
            "negation-elsewhere",
            calibration("[[observations.exits.rows]]\nyear = 2021\nfrom = \"2021-01\"\n"), plain);
        INFO(r.diagnostics.format());
        CHECK(r.calibration.has_value());
    }
}

TEST_CASE("a figure of another measure than its model series is refused at any scale",
          "[scenario]") {
    // 492 yuan and 492 people were fitted as 492 firms; 4.92 亿元 was answered with the scale
    // that would fit a yuan amount as a count of firms.
    const std::vector<std::pair<std::string, std::string>> units = {
        {"yuan", "an amount of money"},
        {"亿元", "an amount of money"},
        {"万元", "an amount of money"},
        {"people", "a count of people"},
        {"人", "a count of people"},
        {"US dollars", "an amount of money in US dollars"},
        {"亿美元", "an amount of money in US dollars"},
        {"% of all", "a percentage"},
        {"10k m2", "an area"},
        {"yuan per firm", "an amount of money per firms"},
    };
    for (const auto& [unit, measure] : units) {
        INFO(unit);
        const std::string data =
            replaced(DATA, "ref_exits,2021,300,firms,", "ref_exits,2021,300,\"" + unit + "\",");
        const auto d = only_error(load("measure", calibration(""), data));
        CHECK(d.line == 5);
        CHECK(d.key == "unit");
        CHECK(d.message == "'ref_exits' 2021 is in '" + unit + "', " + measure +
                               ", but the model's series 'exits' is in 'firms', a count of firms: "
                               "a figure of another measure cannot be fitted to it, at any scale");
        CHECK_THAT(d.allowed,
                   Catch::StartsWith("a figure of a count of firms in 'firms' (or a multiple of "
                                     "it, converted by observations.exits.scale)"));
        CHECK(d.allowed.find("scale = 0") == std::string::npos);
        // A scale does not make it the series' measure.
        const std::string scaled = replaced(calibration(""), "model_series = \"exits\"\n",
                                            "model_series = \"exits\"\nscale = 0.00000001\n");
        CHECK(only_error(load("measure-scaled", scaled, data)).message == d.message);
    }
    // Another word for the series' own measure, or a multiple of it, is compared as before.
    for (const char* unit :
         {"enterprises", "firms approved in review", "家", "companies (count)", "contracts"}) {
        INFO(unit);
        const std::string data = replaced(DATA, "ref_exits,2021,300,firms,",
                                          std::string("ref_exits,2021,300,\"") + unit + "\",");
        const CalibrationLoad r = load("same-measure", calibration(""), data);
        INFO(r.diagnostics.format());
        CHECK(r.calibration.has_value());
    }
}

TEST_CASE("a [[rows]] month outside the row's year is refused; --fit-until judges the last "
          "month read",
          "[scenario]") {
    // A 2021 row placed at 2023-06 was fitted under --fit-until 2021 though it read 2023.
    const auto stock = only_error(
        load("leak-stock", replaced(calibration(""), "at = \"2022-09\"", "at = \"2023-06\"")));
    CHECK(stock.line == 19);
    CHECK(stock.key == "observations.high_tech.rows[0].at");
    CHECK(stock.message ==
          "'ref_high_tech' 2022 (the data row at " +
              (DIR / "leak-stock" / "history.csv").generic_string() +
              ":3) is placed to read the model in 2023-06, outside its year 2022: a figure is "
              "labelled by the year of the last month it reads, which decides whether "
              "--fit-until fits it or holds it back");
    CHECK(stock.allowed == "a month of 2022; a figure of 2023 is a row of year 2023 in the data "
                           "file");
    const auto flow = only_error(load("leak-flow", calibration(R"([[observations.exits.rows]]
year = 2021
from = "2023-01"
to = "2023-12"
)")));
    CHECK(flow.key == "observations.exits.rows[0].to");
    CHECK(flow.line == 27);
    CHECK(flow.allowed == "a month of 2021 for to (from may lie in an earlier year); a figure of "
                          "2023 is a row of year 2023 in the data file");
    // A flow summed over several years is labelled by its last (graduates retained 2017-2021):
    // fitted up to that year, held back before it.
    const std::string over_years =
        calibration("[[observations.exits.rows]]\nyear = 2022\nfrom = \"2021-01\"\n");
    CalibrationFlags flags;
    flags.fit_until = 2021;
    const CalibrationLoad r = load("flow-over-years", over_years, DATA, flags);
    INFO(r.diagnostics.format());
    REQUIRE(r.calibration.has_value());
    const Observation& exits22 = r.calibration->observations[4];
    CHECK(exits22.id == "exits_2022");
    CHECK(exits22.from == canopy::engine::YearMonth{2021, 1});
    CHECK(exits22.to == canopy::engine::YearMonth{2022, 12});
    CHECK_FALSE(exits22.fitted);
}

TEST_CASE("a prior's provenance may not be empty, as a scenario's may not", "[scenario]") {
    const auto a =
        only_error(load("empty-assumption",
                        replaced(calibration(""), "assumption = \"a test\"", "assumption = \"\"")));
    CHECK(a.line == 11);
    CHECK(a.key == "parameters.births_per_month.assumption");
    CHECK(a.message == "the assumption is empty");
    const auto s = only_error(load(
        "empty-source", replaced(calibration(""), "assumption = \"a test\"", "source = \" \"")));
    CHECK(s.key == "parameters.births_per_month.source");
    CHECK(s.message == "the source is empty");
    // Unicode white space says no more: U+3000 (ideographic space) and U+00A0 (no-break space).
    const auto u = only_error(
        load("unicode-space-assumption", replaced(calibration(""), "assumption = \"a test\"",
                                                  "assumption = \"\u3000\u00A0\"")));
    CHECK(u.key == "parameters.births_per_month.assumption");
    CHECK(u.message == "the assumption is empty");
}

TEST_CASE("a prior's messages offer only what a prior can take", "[scenario]") {
    // The allowed list offered firms and edges_per_firm, which were then refused as whole
    // numbers.
    const auto d = only_error(load("unknown-parameter", calibration(R"(
[parameters.birth_per_month]
prior = "uniform"
low = 1
high = 2
assumption = "a"
)")));
    CHECK(d.message == "model 'reference' has no parameter, baseline or lever 'birth_per_month'");
    CHECK_THAT(d.allowed, Catch::Contains("births_per_month"));
    CHECK(d.allowed.find("edges_per_firm") == std::string::npos);
    CHECK(d.allowed.find("firms,") == std::string::npos);
    // A normal prior's sd: "> 0" in the message as in the allowed text, for -3 and for 0.
    for (const char* sd : {"sd = -3", "sd = 0"}) {
        INFO(sd);
        const auto n = only_error(
            load("normal-sd", replaced(calibration(""), "prior = \"uniform\"\nlow = 5\nhigh = 30",
                                       std::string("prior = \"normal\"\nmean = 15\n") + sd)));
        CHECK(n.key == "parameters.births_per_month.prior");
        CHECK(n.message ==
              "the normal prior's fields are not valid: normal needs a standard deviation sd > 0");
        CHECK_THAT(n.allowed, Catch::Contains("normal: sd > 0"));
    }
}
