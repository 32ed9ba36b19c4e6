# Compiler settings shared by every Canopy target.
#
# Results must be bit-reproducible, so no -ffast-math and no floating-point contraction:
# GCC contracts a*b+c into an FMA when the target has one, which would make the bits depend
# on the machine the binary was built for.

add_library(canopy_options INTERFACE)
target_compile_options(canopy_options INTERFACE -ffp-contract=off)

add_library(canopy_warnings INTERFACE)
target_compile_options(canopy_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wdouble-promotion)
if(CANOPY_WERROR)
  target_compile_options(canopy_warnings INTERFACE -Werror)
endif()

if(CANOPY_SANITIZE)
  target_compile_options(canopy_options INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(canopy_options INTERFACE -fsanitize=address,undefined)
endif()

# Fuzzing: every Canopy target gets libFuzzer's coverage instrumentation and AddressSanitizer,
# and assertions stay on (-UNDEBUG) so a violated precondition aborts instead of passing quietly.
if(CANOPY_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CANOPY_FUZZ needs clang++ (libFuzzer): configure with the 'fuzz' preset")
  endif()
  target_compile_options(canopy_options INTERFACE
    -fsanitize=fuzzer-no-link,address -fno-omit-frame-pointer -UNDEBUG)
  target_link_options(canopy_options INTERFACE -fsanitize=address)
endif()

# canopy_apply_defaults(target): the options and warnings every Canopy target carries.
function(canopy_apply_defaults target)
  target_link_libraries(${target} PRIVATE canopy_options canopy_warnings)
endfunction()
