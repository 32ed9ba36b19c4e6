// unit_multiple (units.hpp): the multiple a unit's text names, as the scenario loader and the
// calibration loader read it.
#include <canopy/engine/units.hpp>

#include <catch2/catch.hpp>

#include <string>

using canopy::engine::unit_multiple;

TEST_CASE("A unit names its multiple: Chinese runs, powers of ten and words", "[unit]") {
    CHECK(unit_multiple("万家").factor == 1e4);
    CHECK(unit_multiple("千亿元").factor == 1e11);
    CHECK(unit_multiple("100m yuan").factor == 1e8);
    CHECK(unit_multiple("100 million yuan").factor == 1e8);
    CHECK(unit_multiple("m yuan").factor == 1e6);
    CHECK(unit_multiple("10k m2").factor == 1e4);
    CHECK(unit_multiple("1,000 people").factor == 1e3);
    CHECK(unit_multiple("firms").factor == 1.0);
    CHECK(unit_multiple("firms (1.2 thousand registered in all)").factor == 1.0);
}

TEST_CASE("Square and cubic metres and an index's base are no multiples", "[unit]") {
    // A reviewer's "m²" of a series in 10k m2 was read as a million, and "index, 2022 = 100" as
    // a hundred: both refused a right scale and suggested a wrong one.
    for (const std::string unit : {"m²", "m³", "sq m", "square m", "m^2", "m2", "10k m²"}) {
        INFO(unit);
        CHECK(unit_multiple(unit).factor == (unit == "10k m²" ? 1e4 : 1.0));
    }
    CHECK(unit_multiple("100 m²").factor == 100.0); // a hundred square metres
    for (const std::string unit : {"index, 2022 = 100", "2022=100", "index (2022 = 100)"}) {
        INFO(unit);
        CHECK(unit_multiple(unit).factor == 1.0);
    }
}

TEST_CASE("Powers of ten written with an exponent are multiples", "[unit]") {
    // A second reviewer: "10^4 yuan", the usual English of 万元 in Chinese tables, read as 10.
    CHECK(unit_multiple("10^4 yuan").factor == 1e4);
    CHECK(unit_multiple("10^8 yuan").factor == 1e8);
    CHECK(unit_multiple("10⁴ yuan").factor == 1e4);
    CHECK(unit_multiple("10⁸ yuan").factor == 1e8);
    CHECK(unit_multiple("1e8 yuan").factor == 1e8);
    CHECK(unit_multiple("10 people").factor == 10.0);
    CHECK(unit_multiple("index, 2022 = 10^2").factor == 1.0);
}

TEST_CASE("A unit names its measure, whatever its multiple", "[unit]") {
    using canopy::engine::unit_measure;
    // The shipped histories' units and the model series' own.
    for (const char* unit : {"firms", "firms (year-end stock)", "万家", "firms approved in review",
                             "thousand firms", "enterprises", "家"}) {
        INFO(unit);
        CHECK(unit_measure(unit) == "firms");
    }
    for (const char* unit :
         {"yuan", "亿元", "亿元 (CNY 100m)", "万元", "100m yuan", "100m yuan/year",
          "亿元 (lower bound, \"突破1万亿元\")", "元人民币", "¥"}) {
        INFO(unit);
        CHECK(unit_measure(unit) == "money");
    }
    for (const char* unit :
         {"people", "1000 people", "万人 (10k persons)", "persons", "人", "万人次"}) {
        INFO(unit);
        CHECK(unit_measure(unit) == "people");
    }
    for (const char* unit : {"10k m2", "万平方米 (10k m2)", "m²", "square metres"}) {
        INFO(unit);
        CHECK(unit_measure(unit) == "area");
    }
    // Another currency is another measure (a reviewer's 亿美元 passed against 100m yuan).
    for (const char* unit : {"US dollars", "$", "亿美元", "USD 100m", "100 million US dollars"}) {
        INFO(unit);
        CHECK(unit_measure(unit) == "money in US dollars");
    }
    CHECK(unit_measure("100m euros") == "money in euros");
    CHECK(unit_measure("€") == "money in euros");
    CHECK(unit_measure("亿港元") == "money in HK dollars");
    CHECK(unit_measure("HK$ 100m") == "money in HK dollars");
    CHECK(unit_measure("日元") == "money in yen");
    // Chinese by the word, not the first character: 人工智能企业 are firms, 企业家 people.
    CHECK(unit_measure("人工智能企业") == "firms");
    CHECK(unit_measure("万人工智能企业") == "firms");
    CHECK(unit_measure("企业家") == "people");
    CHECK(unit_measure("万企业家") == "people");
    CHECK(unit_measure("% yoy") == "percent");
    CHECK(unit_measure("% of GDP (approx, \"about 26%\")") == "percent");
    CHECK(unit_measure("‰") == "percent");
    CHECK(unit_measure("share") == "share");
    CHECK(unit_measure("yuan per firm") == "money per firms");
    CHECK(unit_measure("firms per year") == "firms");
    // What it does not know is not compared.
    for (const char* unit : {"carriers", "contracts", "index", "capability", "seats", "",
                             "国家级孵化器", "units (2021, approx)", "firms per centre"}) {
        INFO(unit);
        CHECK(unit_measure(unit) == (std::string(unit) == "firms per centre" ? "firms" : ""));
    }
}

TEST_CASE("Blank text: ASCII and Unicode white space say nothing", "[unit]") {
    using canopy::engine::blank_text;
    CHECK(blank_text(""));
    CHECK(blank_text(" \t\r\n\v\f"));
    CHECK(blank_text("\xE3\x80\x80"));                         // U+3000 ideographic space
    CHECK(blank_text("\xC2\xA0 \xE2\x80\x83\xE2\x80\x8B"));    // U+00A0, U+2003, U+200B
    CHECK(blank_text("\xEF\xBB\xBF\xE2\x80\xA8\xE2\x80\xAF")); // U+FEFF, U+2028, U+202F
    CHECK_FALSE(blank_text("x"));
    CHECK_FALSE(blank_text("\xE3\x80\x80"
                           "统计年鉴"));
    CHECK_FALSE(blank_text("\xE2\x80\x8C")); // U+200C (zero-width non-joiner) is no space
    CHECK_FALSE(blank_text("\xE3\x80"));     // a cut sequence is not blank
    CHECK_FALSE(blank_text("\x80"));         // nor is a stray continuation byte
}
