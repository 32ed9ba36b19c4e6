// Point results as bytes, and the hash that checks them.
#include "wire.hpp"

#include <canopy/engine/error.hpp>

#include <fmt/format.h>

#include <cstring>

namespace canopy::experiments::detail {

std::uint64_t hash64(std::span<const std::uint8_t> bytes, std::uint64_t seed) {
    std::uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (const std::uint8_t b : bytes) {
        h ^= b;
        h *= 0x100000001b3ULL;
    }
    // splitmix64's finaliser.
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

std::string checksum_text(std::span<const std::uint8_t> bytes) {
    return fmt::format("hash64:{:016x}", hash64(bytes));
}

std::string checksum_mismatch(const std::string& stored, const std::string& computed,
                              const std::string& remedy) {
    if (stored == computed) {
        return {};
    }
    return "the file is damaged: its data changed on disk after Canopy wrote it (they do not "
           "match the checksum written with them: " +
           stored + " stored, " + computed + " computed); " + remedy;
}

void Reader::raw(void* out, std::size_t n) {
    if (n > left()) {
        throw Error("truncated record: " + std::to_string(n) + " bytes wanted, " +
                    std::to_string(left()) + " left");
    }
    if (n > 0) {
        std::memcpy(out, bytes_.data() + at_, n);
    }
    at_ += n;
}

void Reader::skip(std::size_t n) {
    if (n > left()) {
        throw Error("truncated record: " + std::to_string(n) + " bytes to skip, " +
                    std::to_string(left()) + " left");
    }
    at_ += n;
}

std::uint32_t Reader::u32() {
    std::uint32_t x = 0;
    raw(&x, sizeof x);
    return x;
}

std::uint64_t Reader::u64() {
    std::uint64_t x = 0;
    raw(&x, sizeof x);
    return x;
}

double Reader::f64() {
    double x = 0;
    raw(&x, sizeof x);
    return x;
}

std::vector<double> Reader::doubles() {
    const std::uint64_t n = u64();
    if (n > left() / sizeof(double)) {
        throw Error("truncated record: " + std::to_string(n) + " numbers announced, " +
                    std::to_string(left()) + " bytes left");
    }
    std::vector<double> v(static_cast<std::size_t>(n));
    raw(v.data(), v.size() * sizeof(double));
    return v;
}

std::string Reader::text() {
    const std::uint64_t n = u64();
    if (n > left()) {
        throw Error("truncated record: a text of " + std::to_string(n) + " bytes announced, " +
                    std::to_string(left()) + " left");
    }
    std::string s(static_cast<std::size_t>(n), '\0');
    raw(s.data(), s.size());
    return s;
}

void write_result(Writer& w, const PointResult& r) {
    w.u64(r.index);
    w.u32(r.replicates);
    w.u32(r.indicators);
    w.u32(r.rows);
    w.doubles(r.finals);
    w.doubles(r.mean_paths);
    w.doubles(r.path_quantiles);
    w.f64(r.simulate_seconds);
    w.u32(r.cost_years);
    w.doubles(r.costs);
    w.doubles(r.lever_costs);
}

PointResult read_result(Reader& r) {
    PointResult out;
    out.index = r.u64();
    out.replicates = r.u32();
    out.indicators = r.u32();
    out.rows = r.u32();
    out.finals = r.doubles();
    out.mean_paths = r.doubles();
    out.path_quantiles = r.doubles();
    out.simulate_seconds = r.f64();
    // Results journalled before costs were carried end here (a record holds one result); every
    // result written since has both fields.
    if (r.left() > 0) {
        out.cost_years = r.u32();
        out.costs = r.doubles();
    }
    // And those journalled before each lever's cost was carried, here.
    if (r.left() > 0) {
        out.lever_costs = r.doubles();
    }
    if (out.finals.size() != static_cast<std::size_t>(out.replicates) * out.indicators) {
        throw Error("malformed point result: " + std::to_string(out.finals.size()) +
                    " finals for " + std::to_string(out.indicators) + " indicators x " +
                    std::to_string(out.replicates) + " replicates");
    }
    if (out.costs.size() != static_cast<std::size_t>(out.replicates) * out.cost_years &&
        !out.costs.empty()) {
        throw Error("malformed point result: " + std::to_string(out.costs.size()) + " costs for " +
                    std::to_string(out.cost_years) + " years x " + std::to_string(out.replicates) +
                    " replicates");
    }
    if (out.replicates == 0 ? !out.lever_costs.empty()
                            : out.lever_costs.size() % out.replicates != 0) {
        throw Error("malformed point result: " + std::to_string(out.lever_costs.size()) +
                    " lever costs for " + std::to_string(out.replicates) + " replicates");
    }
    return out;
}

} // namespace canopy::experiments::detail
