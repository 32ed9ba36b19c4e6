#include <canopy/detail/hdf5_support.hpp>

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace canopy::detail::hdf5 {

namespace {

// HDF5's file drivers describe a failed system call with their internals ("file write failed:
// time = ..., filename = '...', file descriptor = 3, errno = 28, error message = 'No space left
// on device', buf = 0x55..., ..., bytes actually written = 18446744073709551615, offset = 0"),
// which told a planner nothing: only the system's message is kept ("No space left on device"),
// as the sweep writer already said it. Any other description is kept as it is.
std::string plain(const std::string& description) {
    const std::string key = "error message = '";
    const std::size_t at = description.find(key);
    if (at == std::string::npos) {
        return description;
    }
    const std::size_t from = at + key.size();
    const std::size_t end = description.find('\'', from);
    return end == std::string::npos ? description : description.substr(from, end - from);
}

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
    return plain(text);
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

namespace {

// ---- variable-length values in the global heap ---------------------------------------------
//
// A variable-length value is stored as (u32 length, heap collection address, u32 object index);
// the bytes live in a global heap collection ("GCOL": version, size, then objects of (u16 index,
// u16 references, 4 reserved, length, the bytes padded to 8)). HDF5 checksums neither, and 1.10
// copies the length the heap object records into a buffer sized by the value's own length. So
// the references are read raw, through a conversion that leaves the stored bytes as they are,
// and checked against collections parsed here before anything follows them.

constexpr const char* RAW_TAG = "canopy: a variable-length value as stored";

// The soft conversion from a variable-length type as stored to the opaque RAW_TAG type of the
// same size: the bytes HDF5 hands in are already the answer.
herr_t keep_stored_bytes(hid_t src, hid_t dst, H5T_cdata_t* cdata, size_t, size_t, size_t, void*,
                         void*, hid_t) {
    if (cdata->command != H5T_CONV_INIT) {
        return 0;
    }
    const H5T_class_t from = H5Tget_class(src);
    if ((from != H5T_VLEN && !(from == H5T_STRING && H5Tis_variable_str(src) > 0)) ||
        H5Tget_class(dst) != H5T_OPAQUE || H5Tget_size(src) != H5Tget_size(dst)) {
        return -1;
    }
    char* tag = H5Tget_tag(dst);
    const bool ours = tag != nullptr && std::strcmp(tag, RAW_TAG) == 0;
    H5free_memory(tag);
    if (!ours) {
        return -1;
    }
    cdata->need_bkg = H5T_BKG_NO;
    return 0;
}

void register_keep_stored_bytes() {
    static std::once_flag once;
    static herr_t status = 0;
    std::call_once(once, [] {
        // HDF5 matches a soft conversion by its types' classes: a variable-length string stands
        // for every variable-length type (strings and sequences alike).
        const Id from = string_type();
        const Id to(H5Tcreate(H5T_OPAQUE, 16), H5Tclose);
        status = to.get() < 0 ? -1 : H5Tset_tag(to.get(), RAW_TAG);
        if (status >= 0) {
            status = H5Tregister(H5T_PERS_SOFT, "canopy_keep_stored_bytes", from.get(), to.get(),
                                 keep_stored_bytes);
        }
    });
    must_ok(status, "cannot set up the reading of variable-length values");
}

std::uint64_t little_endian(const unsigned char* p, std::size_t bytes) {
    std::uint64_t x = 0;
    for (std::size_t k = bytes; k > 0; --k) {
        x = (x << 8U) | p[k - 1];
    }
    return x;
}

// One stored reference.
struct Reference {
    std::uint64_t length = 0;  // elements of the value
    std::uint64_t address = 0; // of its heap collection, relative to the file's base
    std::uint64_t index = 0;   // of its object in the collection
};

// The global heap collections of one file, read on demand and checked.
class GlobalHeap {
public:
    GlobalHeap(hid_t object, std::string what)
        : what_(std::move(what)) {
        const Id file(must(H5Iget_file_id(object), "cannot find the file of " + what_), H5Fclose);
        const Id fcpl(must(H5Fget_create_plist(file.get()), "cannot read the file's layout"),
                      H5Pclose);
        must_ok(H5Pget_sizes(fcpl.get(), &address_bytes_, &length_bytes_),
                "cannot read the file's layout");
        hsize_t userblock = 0;
        must_ok(H5Pget_userblock(fcpl.get(), &userblock), "cannot read the file's layout");
        base_ = userblock;
        const ssize_t name_length = H5Fget_name(file.get(), nullptr, 0);
        std::string name(static_cast<std::size_t>(std::max<ssize_t>(name_length, 0)), '\0');
        if (name_length <= 0 ||
            H5Fget_name(file.get(), name.data(), name.size() + 1) != name_length) {
            fail("cannot find the file's name");
        }
        fd_ = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
        struct stat st {};
        if (fd_ < 0 || ::fstat(fd_, &st) != 0) {
            fail("cannot open the file again to read " + what_ + ": " + std::strerror(errno));
        }
        file_bytes_ = static_cast<std::uint64_t>(st.st_size);
    }
    ~GlobalHeap() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    GlobalHeap(const GlobalHeap&) = delete;
    GlobalHeap& operator=(const GlobalHeap&) = delete;

    [[nodiscard]] std::size_t reference_bytes() const { return 4 + address_bytes_ + 4; }

    [[nodiscard]] Reference decode(const unsigned char* p) const {
        return {little_endian(p, 4), little_endian(p + 4, address_bytes_),
                little_endian(p + 4 + address_bytes_, 4)};
    }

    // The bytes of the object `r` names, which must be r.length elements of `element_bytes`.
    std::string_view object(const Reference& r, std::size_t element_bytes) {
        const Collection& c = collection(r.address);
        const auto at = c.objects.find(r.index);
        if (r.index == 0 || at == c.objects.end()) {
            damaged(r.address, "holds no object " + std::to_string(r.index));
        }
        const std::uint64_t want = r.length * element_bytes;
        if (r.length > c.bytes.size() || at->second.second != want) {
            damaged(r.address, "records " + std::to_string(at->second.second) +
                                   " bytes for object " + std::to_string(r.index) + ", not the " +
                                   std::to_string(want) + " its reference gives");
        }
        return std::string_view(c.bytes).substr(at->second.first, at->second.second);
    }

private:
    struct Collection {
        std::string bytes;
        std::map<std::uint64_t, std::pair<std::size_t, std::size_t>> objects; // index: at, bytes
    };

    [[noreturn]] void damaged(std::uint64_t address, const std::string& why) const {
        throw Failure{"the file is damaged: " + what_ +
                      " refers to variable-length data in the global heap block at byte " +
                      std::to_string(base_ + address) + ", which " + why +
                      " (HDF5 does not checksum that block); write the file again with the "
                      "command that made it"};
    }

    std::string read(std::uint64_t address, std::uint64_t bytes, const std::string& why) const {
        if (base_ + address > file_bytes_ || bytes > file_bytes_ - (base_ + address)) {
            damaged(address, why);
        }
        std::string out(static_cast<std::size_t>(bytes), '\0');
        std::size_t done = 0;
        while (done < out.size()) {
            const ssize_t got = ::pread(fd_, out.data() + done, out.size() - done,
                                        static_cast<off_t>(base_ + address + done));
            if (got <= 0) {
                damaged(address, "cannot be read (" +
                                     std::string(got < 0 ? std::strerror(errno) : "end of file") +
                                     ")");
            }
            done += static_cast<std::size_t>(got);
        }
        return out;
    }

    const Collection& collection(std::uint64_t address) {
        if (const auto known = collections_.find(address); known != collections_.end()) {
            return known->second;
        }
        const std::size_t header = 4 + 1 + 3 + length_bytes_;
        const std::string head = read(address, header, "lies past the end of the file");
        if (head.compare(0, 4, "GCOL") != 0 || head[4] != 1) {
            damaged(address, "is not a heap block (no GCOL signature of version 1)");
        }
        const std::uint64_t size =
            little_endian(reinterpret_cast<const unsigned char*>(head.data()) + 8, length_bytes_);
        if (size < header) {
            damaged(address, "records a size of " + std::to_string(size) + " bytes");
        }
        Collection c;
        c.bytes =
            read(address, size,
                 "records a size of " + std::to_string(size) + " bytes, past the end of the file");
        // The objects must tile the block exactly, as HDF5 walks it; the free space (object 0)
        // counts its own header, and a tail too short for a header is free space too.
        const std::size_t object_header = 2 + 2 + 4 + length_bytes_;
        const auto* bytes = reinterpret_cast<const unsigned char*>(c.bytes.data());
        std::size_t p = header;
        while (p < c.bytes.size()) {
            if (c.bytes.size() - p < object_header) {
                break;
            }
            const std::uint64_t index = little_endian(bytes + p, 2);
            const std::uint64_t length = little_endian(bytes + p + 8, length_bytes_);
            const std::uint64_t room = c.bytes.size() - p;
            const std::uint64_t need =
                index == 0 ? length
                           : (length > room ? room + 1 : object_header + ((length + 7) / 8) * 8);
            if (need > room || (index == 0 && length < object_header)) {
                damaged(address, "holds object " + std::to_string(index) + " (at byte " +
                                     std::to_string(base_ + address + p) + ") of " +
                                     std::to_string(length) +
                                     " bytes, more than the block has room for");
            }
            if (index > 0 &&
                !c.objects
                     .emplace(index, std::pair{p + object_header, static_cast<std::size_t>(length)})
                     .second) {
                damaged(address, "holds object " + std::to_string(index) + " twice");
            }
            p += static_cast<std::size_t>(need);
        }
        return collections_.emplace(address, std::move(c)).first->second;
    }

    std::string what_;
    std::size_t address_bytes_ = 8;
    std::size_t length_bytes_ = 8;
    std::uint64_t base_ = 0;
    std::uint64_t file_bytes_ = 0;
    int fd_ = -1;
    std::map<std::uint64_t, Collection> collections_;
};

// The stored references of attribute or dataset `id`, one per element.
std::vector<Reference> stored_references(hid_t id, GlobalHeap& heap, const std::string& what) {
    register_keep_stored_bytes();
    const bool attribute = H5Iget_type(id) == H5I_ATTR;
    const Id space(must(attribute ? H5Aget_space(id) : H5Dget_space(id), "cannot read " + what),
                   H5Sclose);
    const std::size_t n = stored_count(id, what);
    const std::size_t size = heap.reference_bytes();
    std::vector<unsigned char> raw(n * size);
    if (n > 0) {
        const Id type(must(H5Tcreate(H5T_OPAQUE, size), "cannot read " + what), H5Tclose);
        must_ok(H5Tset_tag(type.get(), RAW_TAG), "cannot read " + what);
        must_ok(attribute ? H5Aread(id, type.get(), raw.data())
                          : H5Dread(id, type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()),
                "cannot read " + what);
    }
    std::vector<Reference> out;
    out.reserve(n);
    for (std::size_t k = 0; k < n; ++k) {
        out.push_back(heap.decode(raw.data() + k * size));
    }
    return out;
}

} // namespace

std::size_t stored_count(hid_t id, const std::string& what) {
    const bool attribute = H5Iget_type(id) == H5I_ATTR;
    const Id space(must(attribute ? H5Aget_space(id) : H5Dget_space(id), "cannot read " + what),
                   H5Sclose);
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    if (n < 0) {
        fail("cannot read " + what);
    }
    const Id type(must(attribute ? H5Aget_type(id) : H5Dget_type(id), "cannot read " + what),
                  H5Tclose);
    const std::size_t value_bytes = std::max<std::size_t>(H5Tget_size(type.get()), 1);
    const Id file(must(H5Iget_file_id(id), "cannot find the file of " + what), H5Fclose);
    hsize_t file_bytes = 0;
    must_ok(H5Fget_filesize(file.get(), &file_bytes), "cannot read the size of the file");
    if (static_cast<std::uint64_t>(n) > file_bytes / value_bytes) {
        throw Failure{"the file is damaged: " + what + " declares " + std::to_string(n) +
                      " values, more than its " + std::to_string(file_bytes) + " bytes can hold"};
    }
    return static_cast<std::size_t>(n);
}

std::vector<std::string> read_strings(hid_t id, const std::string& what) {
    const bool attribute = H5Iget_type(id) == H5I_ATTR;
    const Id type(must(attribute ? H5Aget_type(id) : H5Dget_type(id), "cannot read " + what),
                  H5Tclose);
    if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) <= 0) {
        throw Failure{what + " is not variable-length text"};
    }
    GlobalHeap heap(id, what);
    std::vector<std::string> out;
    for (const Reference& r : stored_references(id, heap, what)) {
        if (r.address == 0) { // HDF5's null string
            out.emplace_back();
            continue;
        }
        // A string ends at its first NUL, as HDF5 gives it.
        const std::string_view text = heap.object(r, 1);
        out.emplace_back(text.substr(0, text.find('\0')));
    }
    return out;
}

void check_heap_references(hid_t attribute, const std::string& what) {
    const Id type(must(H5Aget_type(attribute), "cannot read " + what), H5Tclose);
    const H5T_class_t c = H5Tget_class(type.get());
    std::size_t element = 1;
    if (c == H5T_VLEN) {
        const Id base(must(H5Tget_super(type.get()), "cannot read " + what), H5Tclose);
        element = H5Tget_size(base.get());
    } else if (c != H5T_STRING || H5Tis_variable_str(type.get()) <= 0) {
        return; // nothing in the heap
    }
    GlobalHeap heap(attribute, what);
    for (const Reference& r : stored_references(attribute, heap, what)) {
        if (r.address != 0) {
            (void)heap.object(r, element);
        }
    }
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

namespace {

Id in_memory_access_list() {
    Id p = file_access_list();
    must_ok(H5Pset_fapl_core(p.get(), std::size_t{1} << 16, false),
            "cannot set up a file in memory");
    return p;
}

} // namespace

FileWriter::FileWriter(const std::filesystem::path& label, InMemory)
    : fcpl_(file_creation_list())
    , fapl_(in_memory_access_list())
    , gcpl_(group_creation_list())
    , dcpl_(dataset_creation_list())
    , lcpl_(link_creation_list())
    , string_(string_type())
    , file_(must(H5Fcreate(label.c_str(), H5F_ACC_TRUNC, fcpl_.get(), fapl_.get()),
                 "cannot create the file in memory"),
            H5Fclose) {}

std::uint64_t FileWriter::size() const {
    must_ok(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL), "cannot write the file");
    hsize_t bytes = 0;
    must_ok(H5Fget_filesize(file_.get(), &bytes), "cannot tell the file's size");
    return bytes;
}

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
