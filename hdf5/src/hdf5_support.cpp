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
    must_ok(H5Awrite(attr.get(), memory_type, data), "cannot write attribute '" + name + "'");
}

} // namespace canopy::detail::hdf5
