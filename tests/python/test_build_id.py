"""cmake/build_id.cmake, the build's identity (docs/sweeps.md, "The build"): the same files give
the same id; an edit, a new file or a renamed one give another; an unchanged tree leaves the
header untouched (so nothing recompiles); test files do not count. And the programs of this
build carry the id of the tree they were built from.

    test_build_id.py SOURCE_DIR BUILD_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HASHED = ["engine", "models", "experiments", "output", "hdf5", "cmake", "CMakeLists.txt"]


def build_id(source, header):
    subprocess.run(["cmake", "-DCANOPY_SOURCE_DIR=" + source, "-DCANOPY_BUILD_ID_HEADER=" + header,
                    "-P", os.path.join(source, "cmake", "build_id.cmake")], check=True)
    with open(header) as f:
        return re.search(r'#define CANOPY_BUILD_ID "([0-9a-f]{16})"', f.read()).group(1)


def main():
    source, build = sys.argv[1], sys.argv[2]
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)
            print("FAILED: " + what)

    with open(os.path.join(build, "generated", "canopy_build_id.h")) as f:
        built = re.search(r'"([0-9a-f]{16})"', f.read()).group(1)
    with tempfile.TemporaryDirectory() as d:
        tree = os.path.join(d, "tree")
        os.mkdir(tree)
        for name in HASHED:
            src = os.path.join(source, name)
            if os.path.isdir(src):
                shutil.copytree(src, os.path.join(tree, name))
            else:
                shutil.copy2(src, os.path.join(tree, name))
        header = os.path.join(d, "id.h")
        first = build_id(tree, header)
        # A copy of the tree (a tarball, no git) gives the id this build was made with.
        check(first == built, "the copied tree's id %s is this build's %s (rebuild?)" % (first, built))
        stamp = os.stat(header).st_mtime_ns
        os.utime(header, ns=(stamp - 10**9, stamp - 10**9))
        check(build_id(tree, header) == first, "the same tree gives the same id")
        check(os.stat(header).st_mtime_ns == stamp - 10**9, "an unchanged id leaves the header as it was")
        some = sorted(f for f in os.listdir(os.path.join(tree, "engine", "src")) if f.endswith(".cpp"))[0]
        path = os.path.join(tree, "engine", "src", some)
        with open(path, "a") as f:
            f.write("\n// an uncommitted edit\n")
        edited = build_id(tree, header)
        check(edited != first, "an edit to %s changes the id" % some)
        check(os.stat(header).st_mtime_ns != stamp - 10**9, "a new id rewrites the header")
        with open(os.path.join(tree, "experiments", "src", "new_file.hpp"), "w") as f:
            f.write("#pragma once\n")
        added = build_id(tree, header)
        check(added not in (first, edited), "a new header changes the id")
        os.rename(os.path.join(tree, "experiments", "src", "new_file.hpp"),
                  os.path.join(tree, "experiments", "src", "renamed.hpp"))
        check(build_id(tree, header) not in (first, edited, added), "a renamed file changes the id")
        os.makedirs(os.path.join(tree, "tests"), exist_ok=True)
        with open(os.path.join(tree, "tests", "test_x.cpp"), "w") as f:
            f.write("// a test\n")
        renamed = build_id(tree, header)
        with open(os.path.join(tree, "tests", "test_x.cpp"), "a") as f:
            f.write("// edited\n")
        check(build_id(tree, header) == renamed, "a test file does not change the id")
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("build_id.cmake: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
