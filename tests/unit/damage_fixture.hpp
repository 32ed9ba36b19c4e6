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

/// Replaces dataset `dataset` of `file` by one of the same type and attributes' names left out,
/// declaring 10^11 rows (its other dimensions kept) and storing none: chunked, never written, so
/// the file stays small, as an edit with h5py leaves it.
inline void declare_huge_dataset(const std::filesystem::path& file, const std::string& dataset) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
    REQUIRE(d >= 0);
    const hid_t type = H5Dget_type(d);
    const hid_t old_space = H5Dget_space(d);
    hsize_t dims[2] = {0, 1};
    const int rank = H5Sget_simple_extent_ndims(old_space);
    REQUIRE((rank == 1 || rank == 2));
    H5Sget_simple_extent_dims(old_space, dims, nullptr);
    H5Sclose(old_space);
    H5Dclose(d);
    CHECK(H5Ldelete(f, dataset.c_str(), H5P_DEFAULT) >= 0);
    dims[0] = 100'000'000'000ULL;
    const hid_t space = H5Screate_simple(rank, dims, nullptr);
    const hid_t create = H5Pcreate(H5P_DATASET_CREATE);
    const hsize_t chunk[2] = {1024, dims[1]};
    CHECK(H5Pset_chunk(create, rank, chunk) >= 0);
    const hid_t made =
        H5Dcreate2(f, dataset.c_str(), type, space, H5P_DEFAULT, create, H5P_DEFAULT);
    CHECK(made >= 0);
    H5Dclose(made);
    H5Pclose(create);
    H5Sclose(space);
    H5Tclose(type);
    H5Fclose(f);
}

/// Replaces attribute `name` of the root group of `file`, a single number, by two of them.
inline void double_root_attribute(const std::filesystem::path& file, const std::string& name) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t a = H5Aopen(f, name.c_str(), H5P_DEFAULT);
    REQUIRE(a >= 0);
    const hid_t type = H5Aget_type(a);
    double value = 0.0;
    CHECK(H5Aread(a, H5T_NATIVE_DOUBLE, &value) >= 0);
    H5Aclose(a);
    CHECK(H5Adelete(f, name.c_str()) >= 0);
    const hsize_t two = 2;
    const hid_t space = H5Screate_simple(1, &two, nullptr);
    const hid_t made = H5Acreate2(f, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(made >= 0);
    const double values[2] = {value, value};
    CHECK(H5Awrite(made, H5T_NATIVE_DOUBLE, values) >= 0);
    H5Aclose(made);
    H5Sclose(space);
    H5Tclose(type);
    H5Fclose(f);
}

} // namespace canopy::test
