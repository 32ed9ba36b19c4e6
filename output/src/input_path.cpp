// Input files: here, then in the source tree (CANOPY_SOURCE_DIR, set for this file only).
#include <canopy/output/input_path.hpp>

namespace canopy::output {

namespace fs = std::filesystem;

fs::path resolve_input_path(const std::string& given) {
    const fs::path path(given);
    std::error_code ec;
    if (!path.empty() && path.is_relative() && !fs::exists(path, ec)) {
        const fs::path in_source = fs::path(CANOPY_SOURCE_DIR) / path;
        if (fs::exists(in_source, ec)) {
            return in_source;
        }
    }
    return path;
}

} // namespace canopy::output
