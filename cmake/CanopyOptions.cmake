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
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wdouble-promotion
  # GCC 12 reports impossible std::string memcpy overlaps at -O3 (GCC bug 105329).
  -Wno-restrict)
if(CANOPY_WERROR)
  target_compile_options(canopy_warnings INTERFACE -Werror)
endif()

if(CANOPY_SANITIZE)
  target_compile_options(canopy_options INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(canopy_options INTERFACE -fsanitize=address,undefined)
endif()

# canopy_apply_defaults(target): the options and warnings every Canopy target carries.
function(canopy_apply_defaults target)
  target_link_libraries(${target} PRIVATE canopy_options canopy_warnings)
endfunction()
