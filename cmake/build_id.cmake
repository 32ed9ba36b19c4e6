# Writes the build's identity, a hash of the sources that decide what Canopy computes, to a
# header (canopy_build_id.h): run by the canopy_build_id target at every build, and at configure
# time so that the header exists before anything is compiled.
#
#   cmake -DCANOPY_SOURCE_DIR=<source tree> -DCANOPY_BUILD_ID_HEADER=<header> -P build_id.cmake
#
# The version (PROJECT_VERSION) did not tell builds apart: results have changed without it, so
# shards of two builds were merged and a journal of one build resumed by another. The hash is of
# the files themselves, not of git's commit, so it works from a tarball and changes with an
# uncommitted edit. It covers every source and header of the libraries that make and write
# results (engine, models, experiments, output, hdf5) with their CMakeLists.txt, the top-level
# CMakeLists.txt and cmake/*.cmake (the compiler flags: -ffp-contract=off decides bits). The header
# is rewritten only when the hash changes, so an unchanged tree recompiles nothing; a changed one
# recompiles only experiments/src/build_id.cpp, the one file that includes it.
if(NOT CANOPY_SOURCE_DIR OR NOT CANOPY_BUILD_ID_HEADER)
  message(FATAL_ERROR "build_id.cmake: give -DCANOPY_SOURCE_DIR=... -DCANOPY_BUILD_ID_HEADER=...")
endif()
set(patterns CMakeLists.txt cmake/*.cmake)
foreach(dir engine models experiments output hdf5)
  foreach(ext cpp hpp h CMakeLists.txt)
    if(ext STREQUAL "CMakeLists.txt")
      list(APPEND patterns ${dir}/CMakeLists.txt)
    else()
      list(APPEND patterns ${dir}/*.${ext})
    endif()
  endforeach()
endforeach()
set(files)
foreach(p IN LISTS patterns)
  if(p MATCHES "\\*")
    file(GLOB_RECURSE found RELATIVE ${CANOPY_SOURCE_DIR} ${CANOPY_SOURCE_DIR}/${p})
  else()
    file(GLOB found RELATIVE ${CANOPY_SOURCE_DIR} ${CANOPY_SOURCE_DIR}/${p})
  endif()
  list(APPEND files ${found})
endforeach()
list(REMOVE_DUPLICATES files)
list(SORT files)
# Each file's name and content hash, one line each, hashed together: a file renamed, added or
# removed changes the id as an edit does.
set(listing "")
foreach(f IN LISTS files)
  file(SHA256 ${CANOPY_SOURCE_DIR}/${f} h)
  string(APPEND listing "${f} ${h}\n")
endforeach()
string(SHA256 all "${listing}")
string(SUBSTRING "${all}" 0 16 short)
list(LENGTH files count)
set(text "// Written by cmake/build_id.cmake: do not edit. ${count} files hashed.\n#define CANOPY_BUILD_ID \"${short}\"\n")
set(old "")
if(EXISTS ${CANOPY_BUILD_ID_HEADER})
  file(READ ${CANOPY_BUILD_ID_HEADER} old)
endif()
if(NOT old STREQUAL text)
  file(WRITE ${CANOPY_BUILD_ID_HEADER} "${text}")
endif()
