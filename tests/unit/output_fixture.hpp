#pragma once
// A hand-made model, scenario and ensemble for the output tests: every final value is known in
// advance, so summaries, tables, JSON and HDF5 can be checked against exact numbers.
//
// Model "synthetic": series stock_a (stock) and flow_b (flow), parameter p, levers l0..l2.
// Replicate r (r = 0..R-1): stock_a at row t is (r + 1) * t / 12, so its value at the end of
// 2023-12 (row 12) is r + 1; flow_b is 1 in every row after the first, so its 2023 sum is 12.
// Parameter p in replicate r is 10 + r.

#include <canopy/engine/ensemble.hpp>
#include <canopy/engine/scenario.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

namespace canopy::test {

inline engine::ModelInfo synthetic_model() {
    engine::ModelInfo m;
    m.name = "synthetic";
    m.description = "Hand-made series for the output tests";
    m.parameters = {
        {"p", "widgets", "A parameter", 10.0, {}, engine::ParameterRole::parameter, false}};
    m.levers = {{"l0", "multiplier", "Lever 0", 1.0, {}, "finance"},
                {"l1", "multiplier", "Lever 1", 1.0, {}, "talent"},
                {"l2", "multiplier", "Lever 2", 1.0, {}, "platform"}};
    m.series = {{"stock_a", "firms", "A stock", engine::SeriesKind::stock},
                {"flow_b", "firms", "A flow", engine::SeriesKind::flow}};
    return m;
}

inline engine::Scenario synthetic_scenario() {
    engine::Scenario s;
    s.name = "synthetic";
    s.title = "Synthetic ensemble";
    s.description = "For tests";
    s.model = "synthetic";
    s.text = "# the scenario text\n[scenario]\nname = \"synthetic\"\n";
    s.calendar = engine::Calendar(engine::YearMonth{2023, 1}, 12);
    s.seed = 7;
    s.replicates = 10;
    engine::ParameterSetting p;
    p.value = engine::Uncertain{engine::Uncertain::Kind::uniform, 10.0, 20.0, 0.0};
    p.provenance.source = "a source";
    s.parameters = {p};
    engine::LeverSetting l0;
    l0.schedule = engine::Schedule::constant(2.0);
    l0.cost.per_unit_year = 0.5; // 2 units for a year at 0.5 per unit-year: 1 bn yuan
    l0.cost.unit = "bn yuan";
    engine::LeverSetting l1;
    l1.schedule = engine::Schedule::constant(1.0);
    l1.cost.per_unit_year = 3.0; // 3 bn yuan
    l1.cost.unit = "bn yuan";
    engine::LeverSetting l2; // costless
    l2.schedule = engine::Schedule::constant(1.0);
    s.levers = {l0, l1, l2};
    s.budget.currency = "bn yuan";

    engine::IndicatorSpec stock;
    stock.id = "a_end";
    stock.unit = "firms";
    stock.description = "stock_a at the end of 2023";
    stock.kind = engine::IndicatorSpec::Kind::stock;
    stock.series = "stock_a";
    stock.at = {2023, 12};
    engine::IndicatorSpec flow;
    flow.id = "b_total";
    flow.unit = "firms";
    flow.kind = engine::IndicatorSpec::Kind::flow;
    flow.series = "flow_b";
    flow.from = {2023, 1};
    flow.to = {2023, 12};
    s.indicators = {stock, flow};

    engine::TargetSpec high;
    high.id = "a_high";
    high.indicator = "a_end";
    high.comparison = engine::Comparison::greater_equal;
    high.threshold = 8.0; // replicates 7, 8, 9 (values 8, 9, 10) of 10 attain
    high.description = "a at least 8";
    high.source = "the plan";
    engine::TargetSpec flow_target;
    flow_target.id = "b_low";
    flow_target.indicator = "b_total";
    flow_target.comparison = engine::Comparison::less;
    flow_target.threshold = 100.0; // always attained
    flow_target.unit = "firms";
    flow_target.assumption = "illustrative";
    s.targets = {high, flow_target};

    engine::PolicyMix mix;
    mix.name = "more_l0";
    mix.description = "Double lever 0";
    engine::LeverSetting more = l0;
    more.schedule = engine::Schedule::constant(4.0);
    mix.levers = {{0, more}};
    s.policy_mixes = {mix};
    return s;
}

inline engine::Ensemble synthetic_ensemble(int replicates = 10, double scale = 1.0) {
    engine::Ensemble e;
    e.seed = 7;
    e.first_replicate = 0;
    for (int r = 0; r < replicates; ++r) {
        engine::SeriesTable t;
        t.resize(13, 2);
        for (int row = 0; row < 13; ++row) {
            t.row(row)[0] = scale * (r + 1) * row / 12.0;
            t.row(row)[1] = row == 0 ? 0.0 : 1.0;
        }
        e.runs.push_back(t);
        e.parameters.push_back({10.0 + r});
    }
    return e;
}

/// A fresh empty directory, removed with everything in it at the end of the test.
class TempDir {
public:
    TempDir() {
        static int counter = 0;
        const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
        path_ = std::filesystem::temp_directory_path() /
                ("canopy-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
                 "-" + std::to_string(stamp));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
        return path_ / name;
    }

private:
    std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::filesystem::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
}

} // namespace canopy::test
