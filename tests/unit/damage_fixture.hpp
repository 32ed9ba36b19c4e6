#pragma once
// Damage to an HDF5 file as a failing disk or a stray write leaves it: one bit flipped where HDF5
// keeps no checksum of its own (the raw data of a contiguous dataset, the variable-length strings
// of the global heap), and a file without the checksum attribute, as Canopy wrote it before.
#include <catch2/catch.hpp>
#include <hdf5.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace canopy::test {

/// Flips the lowest bit of byte `byte` of contiguous dataset `dataset`'s data in `file`: for a
/// double, the smallest change there is, which no range check could catch.
inline void flip_data_bit(const std::filesystem::path& file, const std::string& dataset,
                          std::size_t byte = 0) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
    REQUIRE(d >= 0);
    const haddr_t offset = H5Dget_offset(d); // HADDR_UNDEF unless contiguous and written
    H5Dclose(d);
    H5Fclose(f);
    REQUIRE(offset != HADDR_UNDEF);
    std::fstream io(file, std::ios::in | std::ios::out | std::ios::binary);
    REQUIRE(io);
    io.seekg(static_cast<std::streamoff>(offset + byte));
    char c = 0;
    io.read(&c, 1);
    c = static_cast<char>(c ^ 1);
    io.seekp(static_cast<std::streamoff>(offset + byte));
    io.write(&c, 1);
    REQUIRE(io);
}

/// Flips the lowest bit of the first byte of the only occurrence of `text` in `file` (a
/// variable-length string lives in the global heap, whose place HDF5 does not report).
inline void flip_text_bit(const std::filesystem::path& file, const std::string& text) {
    std::string bytes;
    {
        std::ifstream in(file, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    const std::size_t at = bytes.find(text);
    REQUIRE(at != std::string::npos);
    REQUIRE(bytes.find(text, at + 1) == std::string::npos);
    bytes[at] = static_cast<char>(bytes[at] ^ 1);
    std::ofstream(file, std::ios::binary) << bytes;
}

/// Deletes attribute `name` of the root group of `file`.
inline void drop_root_attribute(const std::filesystem::path& file, const std::string& name) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    CHECK(H5Adelete(f, name.c_str()) >= 0);
    H5Fclose(f);
}

} // namespace canopy::test
