// The build's identity (build_id.hpp). The only file that includes the generated header, so a
// new hash recompiles this file alone.
#include <canopy/experiments/build_id.hpp>

#include <canopy_build_id.h>

namespace canopy::experiments {

namespace {

const std::string BUILD_MARK = " build ";

} // namespace

const char* build_id() noexcept {
    return CANOPY_BUILD_ID;
}

std::string with_build(const std::string& fingerprint, const std::string& build) {
    return fingerprint + BUILD_MARK + build;
}

std::string build_of(const std::string& journal_fingerprint) {
    const std::size_t at = journal_fingerprint.rfind(BUILD_MARK);
    return at == std::string::npos ? std::string()
                                   : journal_fingerprint.substr(at + BUILD_MARK.size());
}

std::string without_build(const std::string& journal_fingerprint) {
    const std::size_t at = journal_fingerprint.rfind(BUILD_MARK);
    return at == std::string::npos ? journal_fingerprint : journal_fingerprint.substr(0, at);
}

} // namespace canopy::experiments
