// A deterministic mutation fuzzer for the scenario loader, run on every build (and so under
// AddressSanitizer and UBSan in CI): a fixed seed, 20000 mutations of the seed corpus
// aimed at what breaks parsers (and toml++ in particular), plus every input that ever crashed.
// libFuzzer (tests/fuzz/fuzz_scenario.cpp) explores far more; this keeps what it found fixed.
#include "fake_catalog.hpp"

#include <canopy/engine/scenario.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>

using namespace canopy::engine;

namespace {

namespace fs = std::filesystem;

const fs::path DATA = fs::path(CANOPY_SOURCE_DIR) / "tests" / "data";

// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast and the same on every platform.
class Rng {
public:
    explicit Rng(std::uint64_t seed)
        : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    /// Uniform enough on 0..n-1 for choosing mutations (n > 0).
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

private:
    std::uint64_t state_;
};

// A position at the start of a line (where table headers and keys begin), or 0.
std::size_t line_start(const std::string& text, Rng& rng) {
    if (text.empty()) {
        return 0;
    }
    const std::size_t at = rng.below(text.size());
    const std::size_t newline = text.rfind('\n', at);
    return newline == std::string::npos ? 0 : newline + 1;
}

std::size_t anywhere(const std::string& text, Rng& rng) {
    return rng.below(text.size() + 1);
}

const std::vector<std::string> TOKENS = {
    "]",
    "}",
    "[",
    "{",
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "=",
    ",",
    "\n",
    "#",
    ".",
    "\\",
    "inf",
    "-nan",
    "1e999",
    "0x",
    "-",
    "2023-13",
    "\r",
    "\t",
    "[[",
    "]]",
    "= [",
    "= {",
    "\\u",
    "\\U0011FFFF",
    "é",
    "\xE2\x80\xA8",
    "1979-05-27T07:32:00Z",
    "07:32:00",
    "true",
    "9223372036854775808",
};

const std::vector<std::string> HOSTILE = {
    "[[[[",
    "[[[levers]]]\n",
    "[\n",
    "[ [x]]\n",
    "{{{",
    "a = {{{",
    "x = [}\n",
    "x = [1, }\n",
    "é = 1\n",
    "[价值]\n",
    "a.é = 1\n",
    "[a.\xC3\xA9]\n",
    "\"\xC3\xA9\" = 1\n",
    "\xFF",
    "\xC0\x80",
    "\xED\xA0\x80",
    "\xF4\x90\x80\x80",
    "\xE2\x82",
    std::string(1, '\0'),
    std::string("a = \"\0\"\n", 8),
    "x = {a = [}]}\n",
    "[a]\n[a]\n",
    "a.b = 1\na = 2\n",
    "[[a]]\n[a]\n",
    "x = [[{},]]\n",
};

std::string mutate(std::string text, const std::vector<std::string>& seeds, Rng& rng) {
    const std::size_t count = 1 + rng.below(4);
    for (std::size_t k = 0; k < count; ++k) {
        switch (rng.below(12)) {
        case 0: // bit flip
            if (!text.empty()) {
                text[rng.below(text.size())] ^= static_cast<char>(1U << rng.below(8));
            }
            break;
        case 1: // insert a random byte
            text.insert(anywhere(text, rng), 1, static_cast<char>(rng.below(256)));
            break;
        case 2: // delete a few bytes
            if (!text.empty()) {
                const std::size_t at = rng.below(text.size());
                text.erase(at, 1 + rng.below(8));
            }
            break;
        case 3: // truncate
            text.resize(anywhere(text, rng));
            break;
        case 4: { // splice: this text's head, another seed's tail
            const std::string& other = seeds[rng.below(seeds.size())];
            text = text.substr(0, anywhere(text, rng)) + other.substr(rng.below(other.size() + 1));
            break;
        }
        case 5: // something toml++ is known to choke on, at a line start
            text.insert(line_start(text, rng), HOSTILE[rng.below(HOSTILE.size())]);
            break;
        case 6: // ... or anywhere
            text.insert(anywhere(text, rng), HOSTILE[rng.below(HOSTILE.size())]);
            break;
        case 7: // a TOML token anywhere
            text.insert(anywhere(text, rng), TOKENS[rng.below(TOKENS.size())]);
            break;
        case 8: { // deep nesting, around the limit
            const std::size_t depth = 25 + rng.below(16);
            const char open = rng.below(2) == 0 ? '[' : '{';
            std::string deep = "x = ";
            for (std::size_t d = 0; d < depth; ++d) {
                deep += open;
                if (open == '{') {
                    deep += "a = ";
                }
            }
            text.insert(line_start(text, rng), deep + "\n");
            break;
        }
        case 9: { // a long dotted key
            std::string key = "k";
            for (std::size_t d = 0, n = 25 + rng.below(16); d < n; ++d) {
                key += ".k";
            }
            text.insert(line_start(text, rng), key + " = 1\n");
            break;
        }
        case 10: { // duplicate a line
            const std::size_t from = line_start(text, rng);
            const std::size_t to = text.find('\n', from);
            const std::string line =
                text.substr(from, to == std::string::npos ? std::string::npos : to - from + 1);
            text.insert(line_start(text, rng), line);
            break;
        }
        default: // NULs and control characters
            text.insert(anywhere(text, rng), 1, static_cast<char>(rng.below(32)));
            break;
        }
    }
    return text;
}

// What must hold for any input; empty when it does.
std::string problem(std::string_view text) {
    LoadResult r;
    try {
        r = load_scenario_text(text, "fuzz.toml", canopy::test::toy_catalog());
    } catch (const std::exception& e) {
        return std::string("load_scenario_text threw: ") + e.what();
    } catch (...) {
        return "load_scenario_text threw something";
    }
    for (const Diagnostic& d : r.diagnostics) {
        if (d.severity != Diagnostic::Severity::error) {
            continue;
        }
        if (d.file.empty() || (!text.empty() && d.line < 1)) {
            return "an error without a place: " + d.format();
        }
        if (d.message.rfind("internal error", 0) == 0) {
            return "an exception escaped validation: " + d.format();
        }
    }
    if (r.scenario.has_value() && r.diagnostics.has_errors()) {
        return "a scenario came back with errors";
    }
    if (!r.scenario.has_value() && !r.diagnostics.has_errors()) {
        return "no scenario and no error to say why";
    }
    return {};
}

// Keeps a failing input where a developer can replay it.
std::string saved(const std::string& text, const std::string& name) {
    const fs::path dir = fs::path(CANOPY_BINARY_DIR) / "fuzz-failures";
    fs::create_directories(dir);
    const fs::path file = dir / name;
    std::ofstream(file, std::ios::binary) << text;
    return file.string();
}

std::vector<std::string> seeds() {
    std::vector<std::string> out;
    for (const char* dir : {"fuzz-corpus", "broken"}) {
        for (const fs::path& file : canopy::test::files_in(DATA / dir)) {
            if (file.extension() == ".toml") {
                out.push_back(canopy::test::read_bytes(file));
            }
        }
    }
    return out;
}

} // namespace

TEST_CASE("every input that once crashed the loader now loads cleanly", "[scenario][fuzz]") {
    const auto files = canopy::test::files_in(DATA / "fuzz-regressions");
    REQUIRE_FALSE(files.empty());
    for (const fs::path& file : files) {
        if (file.extension() == ".md") {
            continue;
        }
        INFO(file.filename().string());
        CHECK(problem(canopy::test::read_bytes(file)).empty());
    }
}

TEST_CASE("mutated scenarios never crash the loader and every error has a place",
          "[scenario][fuzz]") {
    const std::vector<std::string> corpus = seeds();
    REQUIRE(corpus.size() >= 20);
    Rng rng(20230101);
    constexpr int MUTATIONS = 20000;
    for (int i = 0; i < MUTATIONS; ++i) {
        const std::string input = mutate(corpus[rng.below(corpus.size())], corpus, rng);
        const std::string why = problem(input);
        if (!why.empty()) {
            FAIL("mutation " << i << ": " << why << " (input saved as "
                             << saved(input, "mutation-" + std::to_string(i) + ".toml") << ")");
        }
    }
    SUCCEED(MUTATIONS << " mutations loaded without a crash");
}
