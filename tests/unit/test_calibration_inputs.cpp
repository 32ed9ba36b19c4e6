// The inputs of a calibration: truncated priors, history CSVs, the error model, SHA-256.
#include <canopy/engine/error.hpp>
#include <canopy/experiments/observations.hpp>
#include <canopy/experiments/prior.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

using namespace canopy::experiments;
using canopy::engine::Uncertain;
using Kind = Uncertain::Kind;

namespace {

namespace fs = std::filesystem;

fs::path scratch_file(const std::string& name, const std::string& text) {
    const fs::path dir = fs::path(CANOPY_BINARY_DIR) / "calibration-test-files";
    fs::create_directories(dir);
    const fs::path p = dir / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
}

const char* HEADER = "series,year,value,unit,source,quote\n";

} // namespace

TEST_CASE("a truncated prior renormalises between its bounds", "[unit]") {
    const Prior p(Uncertain{Kind::normal, 0.0, 1.0, 0.0}, 0.0, 10.0);
    CHECK(p.mass() == Approx(0.5).epsilon(1e-12));
    // Half a normal: density doubled on [0, inf).
    CHECK(std::exp(p.log_density(0.5)) == Approx(2.0 * 0.3520653267642995).epsilon(1e-12));
    CHECK(p.log_density(-0.1) == -std::numeric_limits<double>::infinity());
    CHECK(p.cdf(0.0) == 0.0);
    CHECK(p.cdf(1.0) == Approx(2.0 * (0.8413447460685429 - 0.5)).epsilon(1e-12));
    for (double u : {0.01, 0.25, 0.5, 0.9, 0.999}) {
        const double x = p.quantile(u);
        CHECK(p.contains(x));
        CHECK(p.cdf(x) == Approx(u).epsilon(1e-9));
    }
}

TEST_CASE("a prior far in its tail keeps its digits", "[unit]") {
    // Between 8 and 9 standard deviations: mass 6.2e-16, far below double's epsilon
    // relative to 1, yet the survival function keeps it.
    const double mass = Prior::mass_between(Uncertain{Kind::normal, 0.0, 1.0, 0.0}, 8.0, 9.0);
    CHECK(mass == Approx(6.2198319858658e-16).epsilon(1e-6));
    CHECK(mass < Prior::MIN_MASS); // so a calibration file would be refused
    const Prior p(Uncertain{Kind::normal, 0.0, 1.0, 0.0}, 3.0, 4.0);
    const double x = p.quantile(0.5);
    CHECK(x > 3.0);
    CHECK(x < 4.0);
    CHECK(p.cdf(x) == Approx(0.5).epsilon(1e-6));
}

TEST_CASE("every distribution maps quantiles inside its bounds", "[unit]") {
    const std::vector<std::pair<Uncertain, std::pair<double, double>>> cases = {
        {{Kind::uniform, 2.0, 4.0, 0.0}, {0.0, 10.0}},
        {{Kind::lognormal, 3.0, 0.5, 0.0}, {1.0, 8.0}},
        {{Kind::beta, 2.0, 5.0, 0.0}, {0.0, 1.0}},
        {{Kind::gamma, 2.0, 3.0, 0.0}, {0.5, 40.0}},
        {{Kind::triangular, 1.0, 5.0, 2.0}, {0.0, 4.0}},
    };
    for (const auto& [u, bounds] : cases) {
        const Prior p(u, bounds.first, bounds.second);
        INFO(to_string(u.kind));
        for (double q : {1e-9, 0.1, 0.5, 0.9, 1 - 1e-9}) {
            const double x = p.quantile(q);
            CHECK(p.contains(x));
            CHECK(std::isfinite(p.log_density(x)));
            CHECK(p.cdf(x) == Approx(q).margin(1e-7));
        }
    }
}

TEST_CASE("a prior with no mass inside its bounds is refused", "[unit]") {
    CHECK(Prior::mass_between(Uncertain{Kind::uniform, 5.0, 6.0, 0.0}, 0.0, 1.0) == 0.0);
    CHECK_THROWS_AS(Prior(Uncertain{Kind::uniform, 5.0, 6.0, 0.0}, 0.0, 1.0), canopy::Error);
    CHECK_THROWS_AS(Prior(Uncertain::fixed(1.0), 0.0, 2.0), canopy::Error);
    CHECK_THROWS_AS(Prior(Uncertain{Kind::uniform, 0.0, 1.0, 0.0}, 1.0, 1.0), canopy::Error);
}

TEST_CASE("SHA-256 of known messages", "[unit]") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("the shipped Wuhan history reads as it is", "[unit]") {
    canopy::engine::Diagnostics d;
    const auto data =
        read_data_csv(fs::path(CANOPY_SOURCE_DIR) / "scenarios" / "data" / "wuhan-history.csv", d);
    INFO(d.format());
    REQUIRE(data.has_value());
    CHECK(data->rows.size() == 60);
    CHECK(data->sha256.size() == 64);
    const DataRow& first = data->rows.front();
    CHECK(first.series == "wuhan_graduates_retained");
    CHECK(first.year == 2017);
    CHECK(first.value == 28.29);
    CHECK(first.unit == "万人 (282,900 as of 2017-12-15)");
    CHECK(first.line == 2);
    // A quoted field with doubled quotes and commas.
    const auto turnover = std::find_if(data->rows.begin(), data->rows.end(), [](const DataRow& r) {
        return r.series == "wuhan_tech_contract_turnover" && r.year == 2018 && r.value == 700;
    });
    REQUIRE(turnover != data->rows.end());
    CHECK(turnover->unit == "亿元 (lower bound, \"突破700亿元\", preliminary)");
}

TEST_CASE("bad data rows name the file, line, column and column name", "[unit]") {
    SECTION("a value that is not a number") {
        const auto p =
            scratch_file("bad-value.csv", std::string(HEADER) + "a,2013,12,u,s,q\n"
                                                                "a,2014,\"1,200\",u,s,q\n");
        canopy::engine::Diagnostics d;
        CHECK_FALSE(read_data_csv(p, d).has_value());
        REQUIRE(d.size() == 1);
        const auto& e = d.items().front();
        CHECK(e.file == p.generic_string());
        CHECK(e.line == 3);
        CHECK(e.column == 8);
        CHECK(e.key == "value");
        CHECK(e.message == "'1,200' is not a number");
    }
    SECTION("a year that is not a year, the wrong number of fields") {
        const auto p = scratch_file("bad-year.csv", std::string(HEADER) + "a,20x3,12,u,s,q\n"
                                                                          "a,2014,3,u,s\n");
        canopy::engine::Diagnostics d;
        CHECK_FALSE(read_data_csv(p, d).has_value());
        REQUIRE(d.size() == 2);
        CHECK(d.items()[0].line == 2);
        CHECK(d.items()[0].key == "year");
        CHECK(d.items()[0].message == "'20x3' is not a year");
        CHECK(d.items()[1].line == 3);
        CHECK(d.items()[1].message == "this row has 5 fields, the header 6");
    }
    SECTION("a figure whose source is empty or only white space") {
        // "a,2013,12,u,,q": the source column starts at 13. U+3000 (ideographic space) and
        // U+00A0 (no-break space) say nothing either.
        const auto p = scratch_file("bad-source.csv", std::string(HEADER) +
                                                          "a,2013,12,u,,q\n"
                                                          "a,2014,13,u,\xE3\x80\x80,q\n"
                                                          "a,2015,14,u, \xC2\xA0 ,q\n"
                                                          "a,2016,15,u,\xE3\x80\x80yearbook,q\n");
        canopy::engine::Diagnostics d;
        CHECK_FALSE(read_data_csv(p, d).has_value());
        REQUIRE(d.size() == 3);
        for (std::size_t i = 0; i < 3; ++i) {
            CHECK(d.items()[i].line == static_cast<int>(i) + 2);
            CHECK(d.items()[i].column == 13);
            CHECK(d.items()[i].key == "source");
            CHECK(d.items()[i].message == "the source is empty");
        }
    }
    SECTION("a wrong header, an unterminated quote, an empty file, a missing file") {
        canopy::engine::Diagnostics d1;
        CHECK_FALSE(read_data_csv(scratch_file("h.csv", "series,value\n"), d1).has_value());
        CHECK(d1.items().front().message ==
              "the header is not 'series,year,value,unit,source,quote'");
        canopy::engine::Diagnostics d2;
        CHECK_FALSE(
            read_data_csv(scratch_file("q.csv", std::string(HEADER) + "a,1,2,\"u,s,q\n"), d2)
                .has_value());
        CHECK(d2.items().front().line == 2);
        CHECK(d2.items().front().message ==
              "a quoted field is not closed before the end of the file");
        canopy::engine::Diagnostics d3;
        CHECK_FALSE(read_data_csv(scratch_file("e.csv", ""), d3).has_value());
        CHECK(d3.items().front().message == "the data file is empty");
        canopy::engine::Diagnostics d4;
        CHECK_FALSE(read_data_csv(scratch_file("x.csv", "") / "nothing.csv", d4).has_value());
        CHECK(d4.items().front().message == "cannot read the data file: no such file");
    }
}

TEST_CASE("the error model: Gaussian for a figure, one-sided for a lower bound", "[unit]") {
    Observation o;
    o.row.value = 100.0;
    o.sd = 5.0;
    CHECK(log_likelihood(o, 100.0) == 0.0);
    CHECK(log_likelihood(o, 110.0) == Approx(-2.0));
    CHECK(log_likelihood(o, 90.0) == Approx(-2.0));
    CHECK(residual(o, 90.0) == Approx(-2.0));
    o.lower_bound = true;
    // log Phi((x - y) / sd): half at the bound, near 0 far above it, a Gaussian tail below.
    CHECK(log_likelihood(o, 100.0) == Approx(std::log(0.5)));
    CHECK(log_likelihood(o, 150.0) > -1e-20);
    CHECK(log_likelihood(o, 90.0) == Approx(std::log(0.022750131948179195)));
    CHECK(residual(o, 150.0) == 0.0);
    // Far below, the asymptotic series continues the exact value smoothly.
    const double at_29 = log_likelihood(o, 100.0 - 29.99 * 5.0);
    const double at_30 = log_likelihood(o, 100.0 - 30.01 * 5.0);
    CHECK(at_30 < at_29);
    CHECK(at_29 - at_30 == Approx(0.02 * 30.0).epsilon(0.01));
    CHECK(std::isfinite(log_likelihood(o, -1e6)));
    CHECK(log_likelihood(o, std::numeric_limits<double>::quiet_NaN()) ==
          -std::numeric_limits<double>::infinity());
}
