// The progress bar: silent when disabled, throttled, and erased at the end.
#include <canopy/output/progress.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>

using namespace canopy;

namespace {

std::string contents(std::FILE* f) {
    std::fflush(f);
    std::rewind(f);
    std::string out;
    for (int c = std::fgetc(f); c != EOF; c = std::fgetc(f)) {
        out += static_cast<char>(c);
    }
    return out;
}

std::size_t count(const std::string& text, char c) {
    std::size_t n = 0;
    for (const char x : text) {
        n += x == c ? 1U : 0U;
    }
    return n;
}

} // namespace

TEST_CASE("The progress line shows the bar, the count and the percentage", "[output][progress]") {
    const std::string half = output::ProgressBar::render("base", 50, 100, 10.0);
    CHECK(half.find("base [###############...............] 50/100  50 %") == 0);
    CHECK(half.find("eta 10 s") != std::string::npos); // 10 s for half: 10 s to go
    const std::string done = output::ProgressBar::render("base", 100, 100, 10.0);
    CHECK(done.find("100/100 100 %") != std::string::npos);
    CHECK(done.find("eta") == std::string::npos);
    CHECK(output::ProgressBar::render("x", 0, 0, 0.0).find("100 %") != std::string::npos);
}

TEST_CASE("A disabled progress bar writes nothing", "[output][progress]") {
    std::FILE* f = std::tmpfile();
    REQUIRE(f != nullptr);
    {
        output::ProgressBar bar("base", f, false);
        bar.update(1, 10);
        bar.update(10, 10);
    }
    CHECK(contents(f).empty());
    std::fclose(f);
}

TEST_CASE("An enabled bar redraws with carriage returns and erases its line at the end",
          "[output][progress]") {
    std::FILE* f = std::tmpfile();
    REQUIRE(f != nullptr);
    {
        output::ProgressBar bar("base", f, true, std::chrono::milliseconds(0));
        bar.update(1, 4);
        bar.update(2, 4);
        bar.update(4, 4);
    }
    const std::string text = contents(f);
    CHECK(text.find('\n') == std::string::npos); // never scrolls the terminal
    CHECK(text.find("1/4") != std::string::npos);
    CHECK(text.find("4/4") != std::string::npos);
    // Ends with "\r<spaces>\r": the line is blank and the cursor back at its start.
    const std::size_t last = text.rfind('\r', text.size() - 2);
    REQUIRE(text.back() == '\r');
    REQUIRE(last != std::string::npos);
    CHECK(text.substr(last + 1, text.size() - last - 2).find_first_not_of(' ') ==
          std::string::npos);
    std::fclose(f);
}

TEST_CASE("Redraws are throttled but the last update always draws", "[output][progress]") {
    std::FILE* f = std::tmpfile();
    REQUIRE(f != nullptr);
    output::ProgressBar bar("base", f, true, std::chrono::hours(1));
    for (std::size_t done = 1; done <= 1000; ++done) {
        bar.update(done, 1000);
    }
    const std::string drawn = contents(f);
    CHECK(count(drawn, '\r') == 2); // the first update and the last
    CHECK(drawn.find("1000/1000") != std::string::npos);
    bar.finish();
    bar.finish(); // idempotent
    CHECK(count(contents(f), '\r') == 4);
    std::fclose(f);
}
