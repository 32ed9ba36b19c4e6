// docs/what-if.md's example commands still run: every `$ canopy ...` line of the page's
// ```console blocks is run again with few replicates (the page's figures come from the full
// runs; this checks the commands, not the figures), must exit 0, and its JSON must carry every
// key the page documents for that command. A renamed flag or key fails here, not in a planner's
// hands.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace canopy;
using namespace canopy::test::cli;
namespace fs = std::filesystem;

namespace {

const fs::path PAGE = fs::path(CANOPY_SOURCE_DIR) / "docs" / "what-if.md";

// A `$ canopy ...` line of the page's ```console blocks, without the "$ canopy ", and the exit
// status the page shows for it: 3 when what it printed says "NO ANSWER" (solve's documented
// status for a search that cannot answer), else 0.
struct Documented {
    std::string command;
    int status = 0;
};

std::vector<Documented> documented_commands(const std::string& page) {
    std::vector<Documented> out;
    std::istringstream in(page);
    std::string line;
    bool console = false;
    while (std::getline(in, line)) {
        if (line.rfind("```", 0) == 0) {
            console = !console && line == "```console";
            continue;
        }
        if (console && line.rfind("$ canopy ", 0) == 0) {
            out.push_back({line.substr(9), 0});
        } else if (console && !out.empty() && line.rfind("NO ANSWER", 0) == 0) {
            out.back().status = 3;
        }
    }
    return out;
}

// The quoted names of the JSON layout the page gives after "`--json` writes" in the section
// whose heading starts with `heading`. A group `"a" | "b"` (alternative values) is one entry
// "a|b"; placeholders ("<name>") are left out.
std::vector<std::string> documented_keys(const std::string& page, const std::string& heading) {
    const std::size_t section = page.find(heading);
    REQUIRE(section != std::string::npos);
    const std::size_t writes = page.find("`--json` writes", section);
    REQUIRE(writes != std::string::npos);
    // The indented block after it: from the first indented line to the next unindented one.
    std::size_t begin = page.find("\n    ", writes);
    REQUIRE(begin != std::string::npos);
    std::size_t end = begin + 1;
    while (end < page.size()) {
        const std::size_t next = page.find('\n', end);
        const std::string line = page.substr(end, next - end);
        if (!line.empty() && line.rfind("    ", 0) != 0) {
            break;
        }
        if (next == std::string::npos) {
            end = page.size();
            break;
        }
        end = next + 1;
    }
    const std::string block = page.substr(begin, end - begin);
    std::vector<std::string> keys;
    std::size_t at = 0;
    bool alternative = false;
    while ((at = block.find('"', at)) != std::string::npos) {
        const std::size_t close = block.find('"', at + 1);
        REQUIRE(close != std::string::npos);
        const std::string name = block.substr(at + 1, close - at - 1);
        at = close + 1;
        std::size_t after = block.find_first_not_of(" \n", at);
        if (name.find('<') == std::string::npos) {
            if (alternative && !keys.empty()) {
                keys.back() += "|" + name;
            } else {
                keys.push_back(name);
            }
        }
        alternative = after != std::string::npos && block[after] == '|';
    }
    return keys;
}

// Every key and every string value anywhere in `j`.
void names_in(const nlohmann::json& j, std::set<std::string>& out) {
    if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it) {
            out.insert(it.key());
            names_in(it.value(), out);
        }
    } else if (j.is_array()) {
        for (const auto& x : j) {
            names_in(x, out);
        }
    } else if (j.is_string()) {
        out.insert(j.get<std::string>());
    }
}

std::vector<std::string> words(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> out;
    std::string w;
    while (in >> w) {
        out.push_back(w);
    }
    return out;
}

// The command with few replicates (and, for solve, a coarse precision) and its JSON on stdout.
std::string cheap(const std::string& command) {
    std::vector<std::string> w = words(command);
    REQUIRE(!w.empty());
    const std::string& name = w.front();
    const std::string replicates = name == "solve" ? "20" : "4";
    std::string out;
    for (std::size_t i = 0; i < w.size(); ++i) {
        const bool replaced =
            w[i] == "--replicates" || w[i] == "-n" || w[i] == "--json" || w[i] == "--precision";
        if (replaced && i + 1 < w.size()) {
            ++i; // the flag and its value: set below
        } else {
            out += (out.empty() ? "" : " ") + w[i];
        }
    }
    out += " --replicates " + replicates + " --json -";
    if (name == "solve") {
        out += " --precision 0.1";
    }
    return out;
}

} // namespace

TEST_CASE("docs/what-if.md's example commands run and give the documented JSON keys",
          "[regression][cli][docs]") {
    const std::string page = test::read_file(PAGE);
    const std::vector<Documented> shown = documented_commands(page);
    std::vector<std::string> commands;
    for (const Documented& d : shown) {
        commands.push_back(d.command);
    }
    const std::vector<std::string> compare_keys = documented_keys(page, "## `canopy compare");
    const std::vector<std::string> solve_keys = documented_keys(page, "## `canopy solve");
    const std::vector<std::string> levers_keys = documented_keys(page, "## `canopy levers");
    // The page documents at least: compare, a one-lever and a two-lever solve, and the runs that
    // confirm them.
    std::set<std::string> kinds;
    std::size_t solves = 0;
    for (const std::string& c : commands) {
        kinds.insert(words(c).front());
        solves += words(c).front() == "solve" ? 1U : 0U;
    }
    CHECK(kinds.count("compare") == 1);
    CHECK(kinds.count("run") == 1);
    CHECK(kinds.count("levers") == 1);
    CHECK(solves >= 3);
    REQUIRE(std::find(compare_keys.begin(), compare_keys.end(), "delta_p_ci") !=
            compare_keys.end());
    REQUIRE(std::find(solve_keys.begin(), solve_keys.end(), "reached|out_of_reach") !=
            solve_keys.end());

    const test::TempDir dir;
    std::size_t no_answers = 0;
    for (const Documented& d : shown) {
        const std::string& documented = d.command;
        const std::string command = cheap(documented);
        INFO("documented: canopy " << documented << "\nran: canopy " << command);
        const Result r = run_canopy(dir, command);
        INFO(r.err);
        REQUIRE(r.status == d.status);
        no_answers += d.status == 3 ? 1U : 0U;
        const nlohmann::json j = nlohmann::json::parse(r.out);
        std::set<std::string> names;
        names_in(j, names);
        const std::string kind = words(documented).front();
        std::vector<std::string> wanted;
        if (kind == "compare") {
            wanted = compare_keys;
        } else if (kind == "solve") {
            std::size_t levers = 0;
            for (const std::string& w : words(documented)) {
                levers += w == "--lever" ? 1U : 0U;
            }
            for (const std::string& k : solve_keys) {
                // single_levers, the lever each entry names and trades_within_noise, with
                // several levers only; a search that cannot answer has status not_monotone
                if ((k != "single_levers" && k != "lever" && k != "trades_within_noise") ||
                    levers > 1) {
                    wanted.push_back(d.status == 3 && k == "reached|out_of_reach" ? "not_monotone"
                                                                                  : k);
                }
            }
        } else if (kind == "levers") {
            wanted = levers_keys;
        } else if (kind == "run") {
            // docs/output-format.md's summary: the targets and the costs the page quotes.
            wanted = {"targets", "p_attain", "p_attain_ci", "lever_costs", "budget", "total"};
        }
        for (const std::string& key : wanted) {
            INFO("documented key " << key);
            bool found = false;
            std::size_t from = 0;
            while (!found) { // "a|b": either
                const std::size_t bar = key.find('|', from);
                found = names.count(key.substr(from, bar - from)) > 0;
                if (bar == std::string::npos) {
                    break;
                }
                from = bar + 1;
            }
            CHECK(found);
        }
    }
    // The page shows one search that cannot answer (the not-monotone example), run as shown.
    CHECK(no_answers == 1);
}
