# Extra wiring for tests that need more than the per-label binaries of CMakeLists.txt.

# Output layer and command line: the unit tests read HDF5 files back with the C API and parse
# the JSON; the command-line tests spawn build/bin/canopy, so it must be built first.
if(TARGET canopy_output)
  foreach(binary canopy_test_unit canopy_test_regression)
    if(TARGET ${binary})
      target_link_libraries(${binary} PRIVATE canopy_hdf5 nlohmann_json::nlohmann_json)
    endif()
  endforeach()
endif()
if(TARGET canopy AND TARGET canopy_test_regression)
  add_dependencies(canopy_test_regression canopy)
endif()

# Python reads the HDF5 file the way a user would (h5py, xarray with h5netcdf). Debian's
# /usr/bin/python3 is used on purpose: that is where python3-h5py and python3-xarray live.
# The script exits 77 (skipped) when those modules are missing.
if(TARGET canopy AND EXISTS /usr/bin/python3)
  add_test(NAME python:hdf5_reader
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_hdf5_reader.py
                   $<TARGET_FILE:canopy> ${PROJECT_SOURCE_DIR}/scenarios/reference.toml)
  set_tests_properties(python:hdf5_reader PROPERTIES LABELS python TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()

# The same reader on the default scenario (24 replicates, base and every policy mix).
if(TARGET canopy AND EXISTS /usr/bin/python3)
  add_test(NAME python:hdf5_reader_wuhan
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_hdf5_reader.py
                   $<TARGET_FILE:canopy> ${PROJECT_SOURCE_DIR}/scenarios/wuhan-2023.toml)
  set_tests_properties(python:hdf5_reader_wuhan PROPERTIES
    LABELS python TIMEOUT 300 SKIP_RETURN_CODE 77)
endif()

# Sweeps as users run them: xarray reads the result with named dimensions (python); 1, 2 and 4
# MPI ranks give the datasets of one process (mpi); a real one-node Slurm runs the array job and
# the MPI batch script of docs/clusters.md (slurm: needs root, as in CI; skipped otherwise).
if(TARGET canopy AND EXISTS /usr/bin/python3)
  add_test(NAME python:sweep_xarray
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_sweep_xarray.py
                   $<TARGET_FILE:canopy> ${CMAKE_CURRENT_SOURCE_DIR}/data/sweeps/tiny.toml)
  set_tests_properties(python:sweep_xarray PROPERTIES
    LABELS python TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()
# Open MPI keeps some allocations until exit, many of them in its plugins (mca_*.so), which it
# dlclose()s in MPI_Finalize: LeakSanitizer then cannot name their module ("<unknown module>") and
# no suppression matches. Keeping the plugins loaded lets tests/mpi/lsan.supp name them, and the
# slow unwinder follows stacks through libc (asprintf) back to the Open MPI library that called
# it. Leaks in Canopy's own code are still reported.
set(CANOPY_TEST_MPI_LSAN
    "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/mpi/lsan.supp:fast_unwind_on_malloc=0"
    "OMPI_MCA_mca_base_component_disable_dlclose=1")
# The MPI test is always registered: it reports itself skipped, saying why, only when this build
# has no MPI or there is no mpirun, so a machine without them does not silently pass it.
if(TARGET canopy AND EXISTS /usr/bin/python3)
  if(CANOPY_HAVE_MPI)
    set(CANOPY_TEST_MPI_BUILD 1)
  else()
    set(CANOPY_TEST_MPI_BUILD 0)
  endif()
  if(MPIEXEC_EXECUTABLE)
    set(CANOPY_TEST_MPIEXEC ${MPIEXEC_EXECUTABLE})
  else()
    set(CANOPY_TEST_MPIEXEC mpirun)
  endif()
  add_test(NAME mpi:sweep_1_2_4_ranks
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_sweep_mpi.py
                   $<TARGET_FILE:canopy> ${CANOPY_TEST_MPIEXEC}
                   ${CMAKE_CURRENT_SOURCE_DIR}/data/sweeps/tiny.toml ${CANOPY_TEST_MPI_BUILD})
  set_tests_properties(mpi:sweep_1_2_4_ranks PROPERTIES
    LABELS mpi TIMEOUT 300 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
    ENVIRONMENT "${CANOPY_TEST_MPI_LSAN}")
endif()
# Ranks that disagree, under real mpirun (docs/clusters.md): ranks whose sweep or calibration
# files differ from rank 0's are refused before anything runs, with one message naming them; a
# command that runs on one process is refused under several ranks. Each fails without its fix.
if(TARGET canopy AND EXISTS /usr/bin/python3)
  foreach(case sweep calibrate one-process)
    add_test(NAME mpi:ranks_agree_${case}
             COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_mpi_ranks_agree.py
                     $<TARGET_FILE:canopy> ${CANOPY_TEST_MPIEXEC} ${PROJECT_SOURCE_DIR} ${case}
                     ${CANOPY_TEST_MPI_BUILD})
    set_tests_properties(mpi:ranks_agree_${case} PROPERTIES
      LABELS mpi TIMEOUT 300 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
      ENVIRONMENT "${CANOPY_TEST_MPI_LSAN}")
  endforeach()
endif()
# Failures under real mpirun, each run on one process and on 3 ranks: the exit status of one
# process, the failure said once, by rank 0, no result, and every rank stops.
#   point: a design point that fails while running on one rank (out of memory under a job's
#     address-space limit), named with the rank and host that ran it;
#   method: a calibration that fails on the results every rank shares (no run of its pilot gave
#     a finite figure), with what became of the runs.
if(TARGET canopy AND EXISTS /usr/bin/python3)
  foreach(case point method)
    add_test(NAME mpi:${case}_failure_said_once
             COMMAND /usr/bin/python3
                     ${CMAKE_CURRENT_SOURCE_DIR}/python/test_mpi_${case}_failure.py
                     $<TARGET_FILE:canopy> ${CANOPY_TEST_MPIEXEC} ${PROJECT_SOURCE_DIR}
                     ${CANOPY_TEST_MPI_BUILD})
    set_tests_properties(mpi:${case}_failure_said_once PROPERTIES
      LABELS mpi TIMEOUT 300 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
      ENVIRONMENT "${CANOPY_TEST_MPI_LSAN}")
  endforeach()
endif()
if(TARGET canopy)
  if(CANOPY_HAVE_MPI)
    set(CANOPY_TEST_WITH_MPI 1)
  else()
    set(CANOPY_TEST_WITH_MPI 0)
  endif()
  add_test(NAME slurm:array_job
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/slurm/test_slurm_array.sh
                   $<TARGET_FILE:canopy> ${PROJECT_SOURCE_DIR} ${CANOPY_TEST_WITH_MPI})
  set_tests_properties(slurm:array_job PROPERTIES
    LABELS slurm TIMEOUT 300 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
    ENVIRONMENT "${CANOPY_TEST_MPI_LSAN}")
endif()
# The build's identity (cmake/build_id.cmake): stable for the same files, new for an edit, and
# the one this build's programs carry.
if(EXISTS /usr/bin/python3)
  add_test(NAME python:build_id
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_build_id.py
                   ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  set_tests_properties(python:build_id PROPERTIES LABELS "python;unit" TIMEOUT 60)
endif()
# The array script's own logic (its split checks), run by hand as one task with a stub canopy:
# no daemons, no root, so it runs everywhere (label unit too).
add_test(NAME slurm:array_script_by_hand
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/slurm/test_array_script_by_hand.sh
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(slurm:array_script_by_hand PROPERTIES LABELS "slurm;unit" TIMEOUT 60)

# The shipped Morris screening names every behavioural parameter with the ranges its generator
# derives from the model and the Wuhan scenario: a parameter added to the model, or a value
# changed in scenarios/wuhan-2023.toml, fails here until python/make_morris_sweep.py is rerun.
if(EXISTS /usr/bin/python3)
  add_test(NAME python:morris_sweep_current
           COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/python/make_morris_sweep.py --check)
  set_tests_properties(python:morris_sweep_current PROPERTIES
    LABELS "python;scenario" TIMEOUT 60 SKIP_RETURN_CODE 77)
endif()

# The SALib-style round trip of docs/sensitivity.md: a --design-only Saltelli file, the Ishigami
# function evaluated by numpy and added as /outputs/<name> with h5py, and canopy sensitivity
# recovering the analytic Sobol indices inside its bootstrap intervals.
if(TARGET canopy AND EXISTS /usr/bin/python3)
  add_test(NAME python:sensitivity_roundtrip
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_sensitivity_roundtrip.py
                   $<TARGET_FILE:canopy> ${PROJECT_SOURCE_DIR}/scenarios/reference.toml)
  set_tests_properties(python:sensitivity_roundtrip PROPERTIES
    LABELS "python;statistical" TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()

# `import canopy` as a user would, from the build's python/ directory, with Debian's
# /usr/bin/python3 (python3-numpy): scenarios, runs, overrides, errors, calibration, posteriors,
# checked against the command line. Skipped (77) without numpy.
if(TARGET canopy_python AND TARGET canopy AND EXISTS /usr/bin/python3)
  add_test(NAME python:import_canopy
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_python_module.py
                   ${PROJECT_BINARY_DIR}/python $<TARGET_FILE:canopy> ${PROJECT_SOURCE_DIR})
  set_tests_properties(python:import_canopy PROPERTIES
    LABELS python TIMEOUT 180 SKIP_RETURN_CODE 77)
endif()

# `import canopy` with threads and processes, each case in an interpreter of its own: exit with
# a daemon thread inside run or calibrate (statistical: tried several times), a fork while
# another thread is inside a call, Ctrl-C while a run waits for another thread's.
if(TARGET canopy_python AND EXISTS /usr/bin/python3)
  add_test(NAME python:import_canopy_processes
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_python_processes.py
                   ${PROJECT_BINARY_DIR}/python ${PROJECT_SOURCE_DIR})
  set_tests_properties(python:import_canopy_processes PROPERTIES
    LABELS "python;statistical" TIMEOUT 600 SKIP_RETURN_CODE 77)
endif()

# `import canopy` at its edges: the CLI's notes, non-UTF-8 paths, __new__, every diagnostic of
# an overrides dict, the calibration dict's fields.
if(TARGET canopy_python AND TARGET canopy AND EXISTS /usr/bin/python3)
  add_test(NAME python:import_canopy_edges
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_python_edges.py
                   ${PROJECT_BINARY_DIR}/python $<TARGET_FILE:canopy> ${PROJECT_SOURCE_DIR})
  set_tests_properties(python:import_canopy_edges PROPERTIES
    LABELS python TIMEOUT 300 SKIP_RETURN_CODE 77)
endif()

# A calibration under MPI: 1, 2 and 3 ranks give the posterior of one process, bit for bit.
if(TARGET canopy AND CANOPY_HAVE_MPI AND MPIEXEC_EXECUTABLE AND EXISTS /usr/bin/python3)
  add_test(NAME mpi:calibrate_1_2_3_ranks
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_calibrate_mpi.py
                   $<TARGET_FILE:canopy> ${MPIEXEC_EXECUTABLE}
                   ${CMAKE_CURRENT_SOURCE_DIR}/data/calibration/reference-quick.toml)
  set_tests_properties(mpi:calibrate_1_2_3_ranks PROPERTIES
    LABELS mpi TIMEOUT 300 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
    ENVIRONMENT "${CANOPY_TEST_MPI_LSAN}")
endif()

# The HTML report in a real browser: headless Chromium renders `canopy run --report` on the
# default scenario (with one more target whose id is 200 characters long) with every mix and each
# lever's effects (--report-levers) and checks from the DOM that each chart is drawn with a size
# and no text leaves its box, that the page does not scroll sideways, and that a screenshot is
# not blank. Skipped (77) without chromium.
# The two tests never run at once (RESOURCE_LOCK): four browsers on two busy cores took more than
# two minutes to start.
if(TARGET canopy AND EXISTS /usr/bin/python3)
  add_test(NAME python:report_chromium
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_report_chromium.py
                   $<TARGET_FILE:canopy>
                   ${CMAKE_CURRENT_SOURCE_DIR}/data/scenarios/long-target-name.toml)
  set_tests_properties(python:report_chromium PROPERTIES
    LABELS "python;regression" TIMEOUT 480 SKIP_RETURN_CODE 77 RESOURCE_LOCK chromium)
  # The same checks on `canopy compare --report`, whose tables add the paired differences.
  add_test(NAME python:report_chromium_compare
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_report_chromium.py
                   $<TARGET_FILE:canopy> ${PROJECT_SOURCE_DIR}/scenarios/wuhan-2023.toml compare)
  set_tests_properties(python:report_chromium_compare PROPERTIES
    LABELS "python;regression" TIMEOUT 480 SKIP_RETURN_CODE 77 RESOURCE_LOCK chromium)
endif()

# The calibrated Wuhan scenario (issue 10, item 4): the 2013 history scenario and the calibration
# validate, the shipped posterior loads and the default scenario draws whole rows of it, and the
# hindcast script runs on a tiny budget (seconds; the real hindcast is scripts/wuhan-hindcast.sh).
if(TARGET canopy AND EXISTS /usr/bin/python3)
  add_test(NAME scenario:wuhan_calibration
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_wuhan_calibration.py
                   $<TARGET_FILE:canopy> ${PROJECT_SOURCE_DIR})
  set_tests_properties(scenario:wuhan_calibration PROPERTIES
    LABELS "scenario;python" TIMEOUT 420 SKIP_RETURN_CODE 77)
endif()

# The canopy-bench commands' own figures checked against each other (the figures themselves are
# for bench/, not for tests): python/test_bench_NAME.py run on the bench, exit 77 for skipped.
#   contention: every layout beside every co-runner, the co-runners really running, and the
#     medians the summary prints;
#   profile (ecosystem --profile): the ratios are those of the figures printed beside them, and
#     one round's phases add up to its whole;
#   bandwidth: the fractions of the triad are those of the figures printed beside them, and the
#     paired rounds' median is theirs.
#   flags: a bad flag, command, input file or a size past the memory is exit 2 with one
#     "canopy-bench: error:" line naming it and what is allowed;
#   ecosystem: the summary's replicate_0_* figures are replicate 0's in both modes, its other
#     figures totals, and setup_s printed only where it is measured;
#   calibration: its recovery and SBC checks simulate data with the measurement error of
#     tests/statistical/test_reference_recovery.cpp, the one docs/calibration.md states.
if(TARGET canopy-bench AND EXISTS /usr/bin/python3)
  foreach(name contention profile bandwidth flags ecosystem calibration)
    add_test(NAME python:bench_${name}
             COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_bench_${name}.py
                     $<TARGET_FILE:canopy-bench>)
    set_tests_properties(python:bench_${name} PROPERTIES
      LABELS python TIMEOUT 120 SKIP_RETURN_CODE 77)
  endforeach()
endif()

# README.md's quick start pastes what `canopy run` prints on the default scenario: the script
# reruns it from the source directory (400 replicates, 2 threads) and fails unless every line of
# that block, the table's header among them, is in the output. A change that moves the results
# must paste the new output into the README. Skipped (77) under sanitizers (CANOPY_SANITIZED):
# 400 replicates take too long there.
if(TARGET canopy AND EXISTS /usr/bin/python3)
  add_test(NAME regression:readme_quickstart
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_readme_quickstart.py
                   $<TARGET_FILE:canopy> ${PROJECT_SOURCE_DIR})
  set_tests_properties(regression:readme_quickstart PROPERTIES
    LABELS regression TIMEOUT 300 SKIP_RETURN_CODE 77)
  # The same for docs/*.md: every `$ canopy ...` of a ```console block that shows its output is
  # rerun, and every line shown must be in what it prints (what-if.md's compare and solve
  # examples: about 14,000 replicates of the default scenario). Skipped under sanitizers too.
  add_test(NAME regression:doc_outputs
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_doc_outputs.py
                   $<TARGET_FILE:canopy> ${PROJECT_SOURCE_DIR})
  set_tests_properties(regression:doc_outputs PROPERTIES
    LABELS regression TIMEOUT 1200 SKIP_RETURN_CODE 77)
endif()

# docs/new-region.md's table of the dates a region's plan moves names every entry of the Wuhan
# file that carries a month (validate cannot find a lever step left in Wuhan's year).
if(EXISTS /usr/bin/python3)
  add_test(NAME regression:new_region_dates
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/python/test_new_region_dates.py
                   ${PROJECT_SOURCE_DIR})
  set_tests_properties(regression:new_region_dates PROPERTIES LABELS regression TIMEOUT 60)
endif()
