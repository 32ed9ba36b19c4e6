// libFuzzer target for the scenario loader: any bytes must come back as a result, never as a
// crash, a hang or an exception, and every error must say where it is.
//
//   cmake --preset fuzz && cmake --build --preset fuzz --target fuzz_scenario
//   build-fuzz/bin/fuzz_scenario -max_len=4096 -dict=tests/fuzz/scenario.dict \
//       build-fuzz/corpus tests/data/fuzz-corpus tests/data/fuzz-regressions
#include "../scenario/fake_catalog.hpp"

#include <canopy/engine/scenario.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

[[noreturn]] void fail(const char* what, const canopy::engine::Diagnostic& d) {
    std::fprintf(stderr, "fuzz_scenario: %s: %s\n", what, d.format().c_str());
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const canopy::engine::ModelCatalog catalog = canopy::test::toy_catalog();
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const canopy::engine::LoadResult r =
        canopy::engine::load_scenario_text(text, "fuzz.toml", catalog);
    for (const canopy::engine::Diagnostic& d : r.diagnostics) {
        if (d.severity != canopy::engine::Diagnostic::Severity::error) {
            continue;
        }
        if (d.file.empty() || (size > 0 && d.line < 1)) {
            fail("an error without a place", d);
        }
        if (d.message.rfind("internal error", 0) == 0) {
            fail("an exception escaped validation", d);
        }
    }
    if (r.scenario.has_value() && r.diagnostics.has_errors()) {
        std::fprintf(stderr, "fuzz_scenario: a scenario was returned despite errors\n");
        std::abort();
    }
    return 0;
}
