#include <canopy/detail/hdf5_support.hpp>

namespace canopy::detail::hdf5 {

namespace {

// The innermost description on HDF5's error stack, or empty.
std::string cause() {
    std::string text;
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_DOWNWARD,
        [](unsigned, const H5E_error2_t* err, void* data) -> herr_t {
            if (err != nullptr && err->desc != nullptr && err->desc[0] != '\0') {
                *static_cast<std::string*>(data) = err->desc;
            }
            return 0;
        },
        &text);
    return text;
}

} // namespace

void fail(const std::string& what) {
    const std::string c = cause();
    H5Eclear2(H5E_DEFAULT);
    throw Failure{c.empty() ? what : what + " (" + c + ")"};
}

hid_t must(hid_t id, const std::string& what) {
    if (id < 0) {
        fail(what);
    }
    return id;
}

void must_ok(herr_t status, const std::string& what) {
    if (status < 0) {
        fail(what);
    }
}

QuietErrors::QuietErrors() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

QuietErrors::~QuietErrors() {
    H5Eset_auto2(H5E_DEFAULT, func_, data_);
}

Id property_list(hid_t cls) {
    return Id(must(H5Pcreate(cls), "cannot create a property list"), H5Pclose);
}

Id string_type() {
    Id t(must(H5Tcopy(H5T_C_S1), "cannot create the string type"), H5Tclose);
    must_ok(H5Tset_size(t.get(), H5T_VARIABLE), "cannot create the string type");
    must_ok(H5Tset_cset(t.get(), H5T_CSET_UTF8), "cannot create the string type");
    return t;
}

void write_attribute(hid_t object, const std::string& name, hid_t file_type, hid_t memory_type,
                     hid_t space, const void* data) {
    const Id attr(must(H5Acreate2(object, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT),
                       "cannot create attribute '" + name + "'"),
                  H5Aclose);
    // An empty list has nothing to write (and no buffer: HDF5 refuses a null one), as in dataset.
    if (H5Sget_simple_extent_npoints(space) == 0) {
        return;
    }
    must_ok(H5Awrite(attr.get(), memory_type, data), "cannot write attribute '" + name + "'");
}

Id file_creation_list() {
    Id p = property_list(H5P_FILE_CREATE);
    must_ok(H5Pset_obj_track_times(p.get(), false), "cannot switch off timestamps");
    must_ok(H5Pset_link_creation_order(p.get(), CREATION_ORDER), "cannot track creation order");
    must_ok(H5Pset_attr_creation_order(p.get(), CREATION_ORDER), "cannot track creation order");
    return p;
}

Id group_creation_list() {
    Id p = property_list(H5P_GROUP_CREATE);
    must_ok(H5Pset_obj_track_times(p.get(), false), "cannot switch off timestamps");
    must_ok(H5Pset_link_creation_order(p.get(), CREATION_ORDER), "cannot track creation order");
    must_ok(H5Pset_attr_creation_order(p.get(), CREATION_ORDER), "cannot track creation order");
    return p;
}

Id dataset_creation_list() {
    Id p = property_list(H5P_DATASET_CREATE);
    must_ok(H5Pset_obj_track_times(p.get(), false), "cannot switch off timestamps");
    must_ok(H5Pset_attr_creation_order(p.get(), CREATION_ORDER), "cannot track creation order");
    return p;
}

Id file_access_list() {
    Id p = property_list(H5P_FILE_ACCESS);
    must_ok(H5Pset_libver_bounds(p.get(), H5F_LIBVER_V18, H5F_LIBVER_V18),
            "cannot set the file format version");
    must_ok(H5Pset_fclose_degree(p.get(), H5F_CLOSE_SEMI), "cannot set the close degree");
    return p;
}

Id link_creation_list() {
    Id p = property_list(H5P_LINK_CREATE);
    must_ok(H5Pset_char_encoding(p.get(), H5T_CSET_UTF8), "cannot set UTF-8 names");
    return p;
}

FileWriter::FileWriter(const std::filesystem::path& file)
    : fcpl_(file_creation_list())
    , fapl_(file_access_list())
    , gcpl_(group_creation_list())
    , dcpl_(dataset_creation_list())
    , lcpl_(link_creation_list())
    , string_(string_type())
    , file_(must(H5Fcreate(file.c_str(), H5F_ACC_TRUNC, fcpl_.get(), fapl_.get()),
                 "cannot create the file"),
            H5Fclose) {}

void FileWriter::close() {
    file_.close("cannot close the file");
}

Id FileWriter::group(hid_t parent, const std::string& name) const {
    return Id(must(H5Gcreate2(parent, name.c_str(), lcpl_.get(), gcpl_.get(), H5P_DEFAULT),
                   "cannot create group '" + name + "'"),
              H5Gclose);
}

Id FileWriter::dataset(hid_t parent, const std::string& name, const std::vector<hsize_t>& shape,
                       hid_t file_type, hid_t memory_type, const void* data) const {
    const Id space(must(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr),
                        "cannot create the shape of '" + name + "'"),
                   H5Sclose);
    Id set(must(H5Dcreate2(parent, name.c_str(), file_type, space.get(), lcpl_.get(), dcpl_.get(),
                           H5P_DEFAULT),
                "cannot create dataset '" + name + "'"),
           H5Dclose);
    bool empty = false;
    for (const hsize_t d : shape) {
        empty = empty || d == 0;
    }
    if (!empty) {
        must_ok(H5Dwrite(set.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
                "cannot write dataset '" + name + "'");
    }
    return set;
}

Id FileWriter::strings(hid_t parent, const std::string& name,
                       const std::vector<std::string>& values) const {
    std::vector<const char*> pointers;
    pointers.reserve(values.size());
    for (const std::string& v : values) {
        pointers.push_back(v.c_str());
    }
    return dataset(parent, name, {values.size()}, string_.get(), string_.get(), pointers.data());
}

void FileWriter::attribute(hid_t object, const std::string& name, const std::string& value) const {
    const Id space(must(H5Screate(H5S_SCALAR), "cannot create a scalar"), H5Sclose);
    const char* text = value.c_str();
    write_attribute(object, name, string_.get(), string_.get(), space.get(), &text);
}

void FileWriter::attribute(hid_t object, const std::string& name,
                           const std::vector<std::string>& values) const {
    const hsize_t n = values.size();
    const Id space(must(H5Screate_simple(1, &n, nullptr), "cannot create a shape"), H5Sclose);
    std::vector<const char*> pointers;
    pointers.reserve(values.size());
    for (const std::string& v : values) {
        pointers.push_back(v.c_str());
    }
    write_attribute(object, name, string_.get(), string_.get(), space.get(), pointers.data());
}

void FileWriter::attribute(hid_t object, const std::string& name, double value) const {
    const Id space(must(H5Screate(H5S_SCALAR), "cannot create a scalar"), H5Sclose);
    write_attribute(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space.get(), &value);
}

void FileWriter::attribute(hid_t object, const std::string& name, std::int64_t value) const {
    const Id space(must(H5Screate(H5S_SCALAR), "cannot create a scalar"), H5Sclose);
    write_attribute(object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, space.get(), &value);
}

void FileWriter::attribute(hid_t object, const std::string& name, std::uint64_t value) const {
    const Id space(must(H5Screate(H5S_SCALAR), "cannot create a scalar"), H5Sclose);
    write_attribute(object, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, space.get(), &value);
}

} // namespace canopy::detail::hdf5
