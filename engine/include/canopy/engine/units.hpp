#pragma once
/// \file units.hpp
/// What multiple of a base unit a unit's text names, so that figures written in 万家 or
/// "100m yuan" are compared with a model's series in firms or yuan only when converted.

#include <string>
#include <string_view>

namespace canopy::engine {

/// The multiple of a base unit that a unit names (万家 is 10^4 firms, 百亿元 10^10 yuan, "100m
/// yuan" and "100 million yuan" 10^8 yuan, "1,000 people" 10^3 people), with the words that say it;
/// 1 and "" when it names none. Only the unit's head counts, the text before a bracket: "万人 (1.73
/// million in total)" and "firms (1.2 thousand registered in all)" are notes. In the head the
/// first multiple counts: a run of 十百千万亿 (multiplied: 千亿 is 10^11), or a power of ten
/// (10, 100, 1,000, ...; a year or a count such as 2020 or 12 is not one) with k, m, mn, mln or bn
/// after it, or multiple words (thousand(s), million(s), billion(s), mln, mn, bn, k, m; hundred
/// and ten before another: "hundred million", "ten thousand"), a number and its words multiplied.
struct UnitMultiple {
    double factor = 1.0; ///< 1 when the unit names no multiple
    std::string word;    ///< the text that names it ("万", "100m"), empty for none
};

UnitMultiple unit_multiple(const std::string& unit);

/// The kind of quantity a unit's head (the text before a bracket) names, to tell a figure of
/// another measure from a multiple of the same one: "money" (yuan: yuan, rmb, cny, ¥, and any head
/// with 元 or 人民币: 元, 万元, 亿元), "money in US dollars" (dollars, usd, $, 美元), "money in
/// euros" (euros, eur, €, 欧元), "money in yen" (日元), "money in HK dollars" (hkd, hk$, 港元,
/// 港币), "money in pounds" (£): another currency is another measure; "people" (people, persons,
/// individuals, residents, workers, employees, staff, graduates, students; 人 but not 人工, 人次,
/// 名, 企业家), "firms" (firms, enterprises, companies, businesses, startups, smes; 家, 户, and
/// a head that begins or ends with 企业 or 公司), "area" (m2, m², km2,
/// sqm, square metres, hectares, acres; 平方米, 平米, 亩, 公顷), "percent" (a percent_unit or
/// per mille), "share" (a share_unit); "X per Y" when the head names two of them apart by "per"
/// or "/" ("yuan per firm": "money per firms"); "" when it names none (carriers, contracts,
/// index: not compared). A multiple does not change it: 万家 and firms are both "firms".
std::string unit_measure(const std::string& unit);

/// ASCII lower case; other bytes (UTF-8 text) as they are.
std::string lower_ascii(std::string_view s);

/// Text that says nothing: empty, or only white space, ASCII (space, tab, line ends, vertical tab,
/// form feed) or Unicode (no-break space U+00A0, U+1680, the spaces U+2000 to U+200A, zero-width
/// space U+200B, line and paragraph separators U+2028 and U+2029, U+202F, U+205F, ideographic
/// space U+3000, and the byte-order mark U+FEFF). A provenance of such text is no provenance.
bool blank_text(std::string_view s);

/// A unit that says percent: "%", "% yoy", 百分比, or the words "percent", "percentage", "pct",
/// "per cent" (as words: "firms per centre" is no percentage).
bool percent_unit(std::string_view unit);

/// A unit that says a fraction of 1: "share", "fraction", "proportion", "ratio" (alone).
bool share_unit(std::string_view unit);

/// What a fraction of 1 is multiplied by to be in `unit`: 100 for a percentage, 1000 for per
/// mille (‰, "per mille", "permille", 千分), 1 for a share; 0 for any other unit.
double per_scale(std::string_view unit);

} // namespace canopy::engine
