// Diagnostics: the printed form and the "did you mean" suggestions.
#include <canopy/engine/diagnostics.hpp>

#include <catch2/catch.hpp>

using namespace canopy::engine;

namespace {

Diagnostic full() {
    Diagnostic d;
    d.file = "scenarios/wuhan.toml";
    d.line = 12;
    d.column = 5;
    d.key = "targets.high_tech.treshold";
    d.message = "unknown key";
    d.allowed = "indicator, comparison, threshold";
    d.hint = "did you mean 'threshold'?";
    return d;
}

} // namespace

TEST_CASE("A diagnostic prints file:line:column: error: key: message (allowed) hint",
          "[diagnostics]") {
    CHECK(full().format() == "scenarios/wuhan.toml:12:5: error: targets.high_tech.treshold: "
                             "unknown key (allowed: indicator, comparison, threshold) did you "
                             "mean 'threshold'?");
}

TEST_CASE("A diagnostic omits the parts it does not have", "[diagnostics]") {
    Diagnostic d = full();
    d.column = 0;
    CHECK(d.format().rfind("scenarios/wuhan.toml:12: error: ", 0) == 0);

    d.line = 0; // a missing key has no single place
    CHECK(d.format().rfind("scenarios/wuhan.toml: error: ", 0) == 0);

    d.allowed.clear();
    d.hint.clear();
    CHECK(d.format() == "scenarios/wuhan.toml: error: targets.high_tech.treshold: unknown key");

    d.key.clear();
    CHECK(d.format() == "scenarios/wuhan.toml: error: unknown key");

    d.file.clear();
    CHECK(d.format() == "error: unknown key");

    d.line = 3;
    d.column = 7;
    CHECK(d.format() == "<input>:3:7: error: unknown key");

    Diagnostic w;
    w.severity = Diagnostic::Severity::warning;
    w.file = "a.toml";
    w.line = 1;
    w.column = 1;
    w.message = "no source given";
    w.hint = "add source = \"...\"";
    CHECK(w.format() == "a.toml:1:1: warning: no source given add source = \"...\"");
}

TEST_CASE("Diagnostics know whether any is an error and print one per line", "[diagnostics]") {
    Diagnostics list;
    CHECK(list.empty());
    CHECK_FALSE(list.has_errors());
    CHECK(list.format().empty());

    Diagnostic w;
    w.severity = Diagnostic::Severity::warning;
    w.message = "first";
    list.add(w);
    CHECK_FALSE(list.has_errors());

    Diagnostics more;
    Diagnostic e;
    e.message = "second";
    more.add(e);
    list.append(more);
    CHECK(list.size() == 2);
    CHECK(list.has_errors());
    CHECK(list.format() == "warning: first\nerror: second\n");
}

TEST_CASE("edit_distance is the Levenshtein distance", "[diagnostics]") {
    CHECK(edit_distance("", "") == 0);
    CHECK(edit_distance("abc", "") == 3);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(edit_distance("sitting", "kitten") == 3);
    CHECK(edit_distance("flaw", "lawn") == 2);
    CHECK(edit_distance("treshold", "threshold") == 1);
    CHECK(edit_distance("ab", "ba") == 2); // a transposition is two edits in Levenshtein
    CHECK(edit_distance("same", "same") == 0);
}

TEST_CASE("nearest suggests a plausible typo and nothing else", "[diagnostics]") {
    const std::vector<std::string> keys{"indicator", "comparison",  "threshold",
                                        "unit",      "description", "source"};
    CHECK(nearest("treshold", keys) == "threshold");
    CHECK(nearest("thresold", keys) == "threshold");
    CHECK(nearest("comparision", keys) == "comparison");
    CHECK(nearest("indicater", keys) == "indicator");
    CHECK(nearest("units", keys) == "unit");
    CHECK(nearest("sourse", keys) == "source");
    CHECK(nearest("colour", keys).empty());
    CHECK(nearest("", keys).empty());
    CHECK(nearest("threshold", {}).empty());

    // Long words tolerate |word| / 3 edits: "descripton_tx" is 3 from "description_text" (13/3=4).
    CHECK(nearest("descripton_tx", {"description_text"}) == "description_text");
    // but not more: 5 edits from an 11-letter word is too many (limit 3).
    CHECK(nearest("dscrptn_xyz", {"description"}).empty());

    // Replacing every character is no typo, even within the distance limit of 2.
    CHECK(nearest("id", {"to"}).empty());
    CHECK(nearest("at", {"to"}).empty());
    CHECK(nearest("fro", {"from", "to"}) == "from");

    // Ties go to the earlier candidate.
    CHECK(nearest("cat", {"bat", "cut"}) == "bat");
    CHECK(nearest("cat", {"cut", "bat"}) == "cut");
}

TEST_CASE("did_you_mean phrases the suggestion", "[diagnostics]") {
    CHECK(did_you_mean("treshold", {"threshold", "unit"}) == "did you mean 'threshold'?");
    CHECK(did_you_mean("zzzzzz", {"threshold", "unit"}).empty());
}
