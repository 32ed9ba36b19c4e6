#pragma once
// Point results as bytes: how they cross MPI and are journalled. Native byte order (journals and
// messages never leave the machines of one run), every field written in a fixed order, so the
// same result gives the same bytes.

#include <canopy/experiments/experiment.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace canopy::experiments::detail {

/// A 64-bit hash of bytes (checksums, fingerprints): FNV-1a over the bytes, then a 64-bit
/// finaliser so nearby inputs spread. Not cryptographic.
std::uint64_t hash64(std::span<const std::uint8_t> bytes, std::uint64_t seed = 0);

/// The checksum a result file stores of its contents (serialised with Writer): "hash64:" and the
/// 16 hex digits of hash64(bytes).
std::string checksum_text(std::span<const std::uint8_t> bytes);

/// Why a result file is refused when the checksum it stores is not the one its contents give,
/// ending with `remedy` (how to write it again); empty when they match.
std::string checksum_mismatch(const std::string& stored, const std::string& computed,
                              const std::string& remedy);

/// Appends plain values to a byte buffer.
class Writer {
public:
    void u32(std::uint32_t x) { raw(&x, sizeof x); }
    void u64(std::uint64_t x) { raw(&x, sizeof x); }
    void f64(double x) { raw(&x, sizeof x); }
    void doubles(const std::vector<double>& v) {
        u64(v.size());
        raw(v.data(), v.size() * sizeof(double));
    }
    void text(const std::string& s) {
        u64(s.size());
        raw(s.data(), s.size());
    }
    void raw(const void* data, std::size_t n) {
        if (n == 0) {
            return;
        }
        const std::size_t at = bytes.size();
        bytes.resize(at + n);
        std::memcpy(bytes.data() + at, data, n);
    }
    std::vector<std::uint8_t> bytes;
};

/// Reads what Writer wrote; every read checks the bounds and throws canopy::Error past the end.
class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> bytes)
        : bytes_(bytes) {}
    std::uint32_t u32();
    std::uint64_t u64();
    double f64();
    std::vector<double> doubles();
    std::string text();
    void raw(void* out, std::size_t n);
    void skip(std::size_t n);
    [[nodiscard]] std::size_t left() const noexcept { return bytes_.size() - at_; }

private:
    std::span<const std::uint8_t> bytes_;
    std::size_t at_ = 0;
};

/// A point's values and its result.
void write_result(Writer& w, const PointResult& r);
PointResult read_result(Reader& r);

} // namespace canopy::experiments::detail
