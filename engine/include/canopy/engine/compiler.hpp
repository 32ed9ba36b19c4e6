#pragma once
/// \file compiler.hpp
/// Compiler-specific markings for the engine's and models' hottest kernels.

/// Compiles the function it marks with GCC's instruction scheduler run before register
/// allocation, in the mode that weighs register pressure (both off by default on x86-64). For
/// vector loops that hold more values than AVX2 has registers (sixteen), ordering instructions
/// with that in mind spills fewer of them to the stack: on Zen 3 the ecosystem's AVX2 decide
/// kernel took 0.885 of its time with it (and its table draws without gathers) and the AVX2
/// Philox fills 0.88-0.90, each measured in-process against the unmarked version. Scheduling
/// only reorders instructions, so the results are the same bits. Nothing under other compilers
/// (Clang has no such attribute and would warn).
#if defined(__GNUC__) && !defined(__clang__)
#define CANOPY_SCHEDULE_FOR_PRESSURE [[gnu::optimize("schedule-insns", "sched-pressure")]]
#else
#define CANOPY_SCHEDULE_FOR_PRESSURE
#endif
