// Reading units (units.hpp): the multiple a unit's text names, and what says percent or share.
#include <canopy/engine/units.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace canopy::engine {

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

bool percent_unit(std::string_view unit) {
    const std::string u = lower_ascii(unit);
    if (u.find('%') != std::string::npos || u.find("百分") != std::string::npos) {
        return true;
    }
    std::vector<std::string> words;
    for (std::size_t i = 0; i < u.size();) {
        if (std::isalpha(static_cast<unsigned char>(u[i])) == 0) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < u.size() && std::isalpha(static_cast<unsigned char>(u[j])) != 0) {
            ++j;
        }
        words.push_back(u.substr(i, j - i));
        i = j;
    }
    for (std::size_t k = 0; k < words.size(); ++k) {
        const std::string& w = words[k];
        if (w == "percent" || w == "percentage" || w == "percents" || w == "pct" ||
            (w == "per" && k + 1 < words.size() && words[k + 1] == "cent")) {
            return true;
        }
    }
    return false;
}

bool blank_text(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
            ++i;
            continue;
        }
        // A multi-byte UTF-8 sequence: its length from the lead byte, then its code point.
        const std::size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
        if (length == 0 || i + length > s.size()) {
            return false;
        }
        char32_t code = c & (0x7F >> length);
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(s[i + k]);
            if ((next & 0xC0) != 0x80) {
                return false;
            }
            code = (code << 6) | (next & 0x3F);
        }
        const bool space = code == 0x00A0 || code == 0x1680 || (code >= 0x2000 && code <= 0x200B) ||
                           code == 0x2028 || code == 0x2029 || code == 0x202F || code == 0x205F ||
                           code == 0x3000 || code == 0xFEFF;
        if (!space) {
            return false;
        }
        i += length;
    }
    return true;
}

bool share_unit(std::string_view unit) {
    std::string u = lower_ascii(unit);
    const auto blank = [](char c) { return c == ' ' || c == '\t'; };
    while (!u.empty() && blank(u.back())) {
        u.pop_back();
    }
    while (!u.empty() && blank(u.front())) {
        u.erase(u.begin());
    }
    return u == "share" || u == "fraction" || u == "proportion" || u == "ratio";
}

double per_scale(std::string_view unit) {
    const std::string u = lower_ascii(unit);
    if (u.find("\xE2\x80\xB0") != std::string::npos || u.find("per mille") != std::string::npos ||
        u.find("permille") != std::string::npos || u.find("千分") != std::string::npos) {
        return 1000.0;
    }
    if (percent_unit(unit)) {
        return 100.0;
    }
    return share_unit(unit) ? 1.0 : 0.0;
}

namespace {

// The measure one stretch of a unit's head names ("" for none): its first word or character
// that names one.
std::string measure_of_part(const std::string& part) {
    static const std::array<std::pair<const char*, const char*>, 44> WORDS = {
        {{"yuan", "money"},
         {"rmb", "money"},
         {"cny", "money"},
         {"renminbi", "money"},
         {"dollar", "money in US dollars"},
         {"dollars", "money in US dollars"},
         {"usd", "money in US dollars"},
         {"eur", "money in euros"},
         {"euro", "money in euros"},
         {"euros", "money in euros"},
         {"yen", "money in yen"},
         {"hkd", "money in HK dollars"},
         {"people", "people"},
         {"person", "people"},
         {"persons", "people"},
         {"individuals", "people"},
         {"residents", "people"},
         {"workers", "people"},
         {"employees", "people"},
         {"staff", "people"},
         {"graduates", "people"},
         {"students", "people"},
         {"firm", "firms"},
         {"firms", "firms"},
         {"enterprise", "firms"},
         {"enterprises", "firms"},
         {"company", "firms"},
         {"companies", "firms"},
         {"business", "firms"},
         {"businesses", "firms"},
         {"startup", "firms"},
         {"startups", "firms"},
         {"sme", "firms"},
         {"smes", "firms"},
         {"m2", "area"},
         {"km2", "area"},
         {"sqm", "area"},
         {"hectare", "area"},
         {"hectares", "area"},
         {"acre", "area"},
         {"acres", "area"},
         {"metres", "?area"},
         {"meters", "?area"},
         {"metre", "?area"}}};
    // Other currencies than the yuan are other measures: 100m US dollars fitted as 100m yuan
    // would be 7 times off (a reviewer's 亿美元 against a series in 100m yuan passed).
    static const std::array<std::pair<const char*, const char*>, 9> CURRENCIES = {
        {{"hk$", "money in HK dollars"},
         {"美元", "money in US dollars"},
         {"港元", "money in HK dollars"},
         {"港币", "money in HK dollars"},
         {"欧元", "money in euros"},
         {"日元", "money in yen"},
         {"$", "money in US dollars"},
         {"\xE2\x82\xAC", "money in euros"},
         {"\xC2\xA3", "money in pounds"}}};
    for (const auto& [sign, measure] : CURRENCIES) {
        if (part.find(sign) != std::string::npos) {
            return measure;
        }
    }
    // Symbols and Chinese: money (yuan) wherever 元 or ¥ stands.
    for (const char* sign : {"\xC2\xA5", "\xEF\xBF\xA5", "元", "人民币"}) {
        if (part.find(sign) != std::string::npos) {
            return "money";
        }
    }
    for (const char* area : {"平方米", "平米", "亩", "公顷", "m\xC2\xB2", "m^2"}) {
        if (part.find(area) != std::string::npos) {
            return "area";
        }
    }
    // Chinese counters after the multiples (万人, 万家, 人次): the text left once the multiples
    // and spaces are gone begins with them. (国家级 is not 家.)
    std::string rest;
    for (std::size_t i = 0; i < part.size();) {
        bool multiple = false;
        for (const char* m : {"十", "百", "千", "万", "亿"}) {
            if (part.compare(i, 3, m) == 0) {
                multiple = true;
            }
        }
        if (multiple) {
            i += 3;
        } else {
            if (part[i] != ' ' && part[i] != '\t') {
                rest += part[i];
            }
            ++i;
        }
    }
    const auto begins = [&](const char* s) { return rest.rfind(s, 0) == 0; };
    const auto ends = [&](const std::string& s) {
        return rest.size() >= s.size() && rest.compare(rest.size() - s.size(), s.size(), s) == 0;
    };
    // 企业家 are entrepreneurs, people; 人工智能企业 are firms (a reviewer's 万人工智能企业 was
    // read as people by its first character).
    if (rest.find("企业家") != std::string::npos) {
        return "people";
    }
    if ((begins("人") && !begins("人工")) || rest == "名") {
        return "people";
    }
    if (begins("家") || begins("户") || begins("企业") || begins("公司") || ends("企业") ||
        ends("公司")) {
        return "firms";
    }
    // English words, the first that names a measure.
    std::string previous;
    for (std::size_t i = 0; i < part.size();) {
        if (std::isalnum(static_cast<unsigned char>(part[i])) == 0) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < part.size() && std::isalnum(static_cast<unsigned char>(part[j])) != 0) {
            ++j;
        }
        std::string word = part.substr(i, j - i);
        // "10k m2" is read as one word after its multiple: "m2"; "100m2" as "m2" too.
        const std::size_t digits = word.find_first_not_of("0123456789");
        if (digits != std::string::npos && digits > 0 && word.substr(digits) == "m2") {
            word = "m2";
        }
        for (const auto& [name, measure] : WORDS) {
            if (word == name) {
                // Metres name an area only when squared: "square metres".
                if (measure[0] == '?') {
                    if (previous == "square" || previous == "sq") {
                        return measure + 1;
                    }
                    continue;
                }
                return measure;
            }
        }
        previous = word;
        i = j;
    }
    return {};
}

} // namespace

std::string unit_measure(const std::string& unit) {
    const std::string head =
        lower_ascii(unit.substr(0, std::min(unit.find_first_of("(["), unit.find("（"))));
    if (percent_unit(head) || per_scale(head) == 1000.0) {
        return "percent";
    }
    if (share_unit(head)) {
        return "share";
    }
    // "yuan per firm", "100m yuan/year": the part after "per" or "/" names a second measure, or
    // (a year, a month) none.
    std::size_t split = head.find('/');
    for (std::size_t at = head.find("per"); at != std::string::npos;
         at = head.find("per", at + 1)) {
        const bool before = at == 0 || std::isalnum(static_cast<unsigned char>(head[at - 1])) == 0;
        const bool after =
            at + 3 >= head.size() || std::isalnum(static_cast<unsigned char>(head[at + 3])) == 0;
        if (before && after) {
            split = std::min(split, at);
            break;
        }
    }
    const std::string first = measure_of_part(head.substr(0, split));
    if (split == std::string::npos) {
        return first;
    }
    const std::string second = measure_of_part(head.substr(split + (head[split] == '/' ? 1 : 3)));
    if (second.empty()) {
        return first;
    }
    return first.empty() ? std::string() : first + " per " + second;
}

UnitMultiple unit_multiple(const std::string& unit) {
    std::string head = lower_ascii(unit.substr(0, unit.find_first_of("([（")));
    // Thousands separators: "1,000" is 1000.
    for (std::size_t i = 1; i + 1 < head.size(); ++i) {
        if (head[i] == ',' && std::isdigit(static_cast<unsigned char>(head[i - 1])) != 0 &&
            std::isdigit(static_cast<unsigned char>(head[i + 1])) != 0) {
            head.erase(i, 1);
        }
    }
    UnitMultiple out;
    std::size_t first = std::string::npos;
    // A run of Chinese multiples (each three bytes in UTF-8).
    const std::array<std::pair<const char*, double>, 5> chinese = {
        {{"十", 1e1}, {"百", 1e2}, {"千", 1e3}, {"万", 1e4}, {"亿", 1e8}}};
    const auto chinese_at = [&](std::size_t at) -> double {
        for (const auto& [c, f] : chinese) {
            if (head.compare(at, std::strlen(c), c) == 0) {
                return f;
            }
        }
        return 0.0;
    };
    for (std::size_t at = 0; at < head.size(); ++at) {
        if (chinese_at(at) > 0.0) {
            double factor = 1.0;
            std::size_t end = at;
            for (double f = chinese_at(end); f > 0.0; f = chinese_at(end)) {
                factor *= f;
                end += 3;
            }
            first = at;
            out = {factor, head.substr(at, end - at)};
            break;
        }
    }
    // English: the head's words and numbers, in order.
    struct Token {
        std::string text;
        std::size_t at;
    };
    std::vector<Token> tokens;
    for (std::size_t i = 0; i < head.size();) {
        const auto alnum = [&](std::size_t k) {
            return std::isalnum(static_cast<unsigned char>(head[k])) != 0;
        };
        if (!alnum(i)) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < head.size() && alnum(j)) {
            ++j;
        }
        tokens.push_back({head.substr(i, j - i), i});
        i = j;
    }
    const auto word_factor = [](const std::string& w) -> double {
        static const std::array<std::pair<const char*, double>, 13> words = {{{"thousand", 1e3},
                                                                              {"thousands", 1e3},
                                                                              {"k", 1e3},
                                                                              {"million", 1e6},
                                                                              {"millions", 1e6},
                                                                              {"mln", 1e6},
                                                                              {"mn", 1e6},
                                                                              {"m", 1e6},
                                                                              {"billion", 1e9},
                                                                              {"billions", 1e9},
                                                                              {"bn", 1e9},
                                                                              {"hundred", 1e2},
                                                                              {"ten", 1e1}}};
        for (const auto& [name, f] : words) {
            if (w == name) {
                return f;
            }
        }
        return 0.0;
    };
    // A power of ten of at least 10, written in digits ("100", "1000"); 0 otherwise.
    const auto power_of_ten = [](const std::string& digits) -> double {
        if (digits.size() < 2 || digits.size() > 15 || digits[0] != '1' ||
            digits.find_first_not_of('0', 1) != std::string::npos) {
            return 0.0;
        }
        return std::pow(10.0, static_cast<double>(digits.size() - 1));
    };
    // An "m" that is metres, not million: squared or cubed ("m²", "m^2"), or after "sq",
    // "square" or "cubic" (a reviewer's "m²" of a series in 10k m2 was read as 10^6).
    const auto metre = [&](std::size_t k) {
        const Token& tk = tokens[k];
        if (tk.text.empty() || tk.text.back() != 'm') {
            return false;
        }
        const std::size_t after = tk.at + tk.text.size();
        const bool power = after < head.size() &&
                           (head[after] == '^' || (head.compare(after, 2, "\xC2\xB2") == 0) ||
                            (head.compare(after, 2, "\xC2\xB3") == 0));
        const bool area = k > 0 && (tokens[k - 1].text == "sq" || tokens[k - 1].text == "square" ||
                                    tokens[k - 1].text == "cubic");
        return power || area;
    };
    // Superscript digits at byte `at` ("⁴" in "10⁴"), as a number; 0 when there are none.
    const auto superscript = [&](std::size_t at) {
        int value = 0;
        bool any = false;
        while (at + 1 < head.size()) {
            int d = -1;
            const auto b0 = static_cast<unsigned char>(head[at]);
            const auto b1 = static_cast<unsigned char>(head[at + 1]);
            if (b0 == 0xC2 && (b1 == 0xB2 || b1 == 0xB3 || b1 == 0xB9)) {
                d = b1 == 0xB2 ? 2 : b1 == 0xB3 ? 3 : 1; // ² ³ ¹
                at += 2;
            } else if (b0 == 0xE2 && b1 == 0x81 && at + 2 < head.size()) {
                const auto b2 = static_cast<unsigned char>(head[at + 2]);
                if (b2 == 0xB0 || (b2 >= 0xB4 && b2 <= 0xB9)) {
                    d = b2 == 0xB0 ? 0 : b2 - 0xB0; // ⁰ ⁴..⁹
                    at += 3;
                }
            }
            if (d < 0) {
                break;
            }
            value = value * 10 + d;
            any = true;
        }
        return any && value <= 30 ? value : 0;
    };
    // A number after '=' is a base, not a multiple: "index, 2022 = 100".
    const auto after_equals = [&](std::size_t k) {
        std::size_t at = tokens[k].at;
        while (at > 0 && head[at - 1] == ' ') {
            --at;
        }
        return at > 0 && head[at - 1] == '=';
    };
    for (std::size_t k = 0; k < tokens.size(); ++k) {
        const std::string& t = tokens[k].text;
        const std::size_t digits = t.find_first_not_of("0123456789");
        double factor = 0.0;
        std::size_t next = k + 1;
        std::size_t exponent = k;          // "10^4": the token of its exponent
        if (digits == std::string::npos) { // a number alone: "100", "2020", "10^4", "10⁴"
            const std::size_t after = tokens[k].at + t.size();
            if (t == "10" && !after_equals(k) && after < head.size() && head[after] == '^' &&
                next < tokens.size() && tokens[next].at == after + 1 &&
                tokens[next].text.find_first_not_of("0123456789") == std::string::npos &&
                tokens[next].text.size() <= 2) {
                factor = std::pow(10.0, std::stod(tokens[next].text)); // "10^4 yuan"
                exponent = next++;
            } else if (const int sup = superscript(after); t == "10" && sup > 0) {
                factor = std::pow(10.0, sup); // "10⁴ yuan"
            } else {
                factor = after_equals(k) ? 0.0 : power_of_ten(t);
            }
            if (factor == 0.0) {
                continue; // a year, a count, a base: not a multiple
            }
        } else if (digits > 0 &&
                   (t.substr(0, digits) == "1" || power_of_ten(t.substr(0, digits)) > 0.0) &&
                   t.size() > digits + 1 && t[digits] == 'e' &&
                   t.find_first_not_of("0123456789", digits + 1) == std::string::npos &&
                   t.size() - digits - 1 <= 2) { // "1e8 yuan"
            factor = (t.substr(0, digits) == "1" ? 1.0 : power_of_ten(t.substr(0, digits))) *
                     std::pow(10.0, std::stod(t.substr(digits + 1)));
        } else if (digits > 0) { // a number with letters: "100m", "10k", "2021q"
            const double n = power_of_ten(t.substr(0, digits));
            const std::string suffix = t.substr(digits);
            const double w =
                suffix == "hundred" || suffix == "ten" || metre(k) ? 0.0 : word_factor(suffix);
            if (n == 0.0 || w == 0.0) {
                continue;
            }
            factor = n * w;
        } else if (const double w = metre(k) ? 0.0 : word_factor(t);
                   w > 0.0 && ((t != "hundred" && t != "ten") ||
                               (next < tokens.size() && word_factor(tokens[next].text) > 0.0))) {
            factor = w;
        } else {
            continue;
        }
        // The words after it multiply: "100 million", "hundred million", "ten thousand".
        std::size_t last = exponent;
        while (next < tokens.size()) {
            const double w = metre(next) ? 0.0 : word_factor(tokens[next].text);
            if (w == 0.0) {
                break;
            }
            factor *= w;
            last = next++;
        }
        if (first == std::string::npos || tokens[k].at < first) {
            const std::size_t end = tokens[last].at + tokens[last].text.size();
            out = {factor, head.substr(tokens[k].at, end - tokens[k].at)};
        }
        break;
    }
    return out;
}

} // namespace canopy::engine
