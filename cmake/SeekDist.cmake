# seek::dist: the process-group engines (src/dist, docs/distributed.md).
#
# SEEK_DIST=AUTO builds the MPI engine where MPI is found (Debian: libopenmpi-dev), ON insists on it, OFF leaves
# it out (init_process_group then raises). The NCCL engine (src/dist/process_group_nccl.cpp) is built into seek
# only for real GPUs (CUDA without the simulator) where nccl.h and libnccl are found; in the simulator build, where
# nccl.h exists, the same file is compiled as an object-only target (seek_dist_nccl_check, never linked) so that
# a change nvcc-free CI cannot run still has to compile.
set(SEEK_DIST AUTO CACHE STRING "Build the MPI process-group engine: AUTO (where MPI is found), ON or OFF")
set_property(CACHE SEEK_DIST PROPERTY STRINGS AUTO ON OFF)
set(SEEK_HAVE_MPI OFF)
set(SEEK_HAVE_NCCL OFF)
if(NOT SEEK_DIST STREQUAL "OFF")
  set(MPI_CXX_SKIP_MPICXX ON)  # the C API only (Open MPI's C++ bindings are deprecated)
  if(SEEK_DIST STREQUAL "ON")
    find_package(MPI REQUIRED COMPONENTS CXX)
  else()
    find_package(MPI QUIET COMPONENTS CXX)
  endif()
  if(MPI_CXX_FOUND)
    set(SEEK_HAVE_MPI ON)
  endif()
endif()
message(STATUS "seek: distributed (MPI engine): ${SEEK_HAVE_MPI}")

# The MPI launcher line for tests: mpirun -np N with the flags Open MPI needs as root and on 2 cores.
function(seek_mpirun_command out_var np)
  set(cmd ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${MPIEXEC_PREFLAGS})
  execute_process(COMMAND ${MPIEXEC_EXECUTABLE} --version OUTPUT_VARIABLE version ERROR_QUIET)
  if(version MATCHES "Open MPI|OpenRTE")
    list(APPEND cmd --oversubscribe)
  endif()
  set(${out_var} ${cmd} PARENT_SCOPE)
endfunction()

function(seek_add_dist target)
  set(dir ${PROJECT_SOURCE_DIR}/src/dist)
  if(SEEK_HAVE_MPI)
    set(mpi_sources ${dir}/mpi_engine.cpp ${dir}/process_group_mpi.cpp ${dir}/mpi_store_bootstrap.cpp)
    target_sources(${target} PRIVATE ${mpi_sources})
    # MPI's include directories and definitions only on the files that include mpi.h (not on every file of
    # libseek, which would all recompile); the target links the libraries.
    set_property(SOURCE ${mpi_sources} APPEND PROPERTY INCLUDE_DIRECTORIES ${MPI_CXX_INCLUDE_DIRS})
    set_property(SOURCE ${mpi_sources} APPEND PROPERTY COMPILE_DEFINITIONS ${MPI_CXX_COMPILE_DEFINITIONS})
    set_property(SOURCE ${mpi_sources} APPEND PROPERTY COMPILE_OPTIONS ${MPI_CXX_COMPILE_OPTIONS})
    separate_arguments(mpi_link_flags UNIX_COMMAND "${MPI_CXX_LINK_FLAGS}")
    target_link_libraries(${target} PRIVATE ${MPI_CXX_LIBRARIES} ${mpi_link_flags})
    set_property(SOURCE ${dir}/process_group.cpp APPEND PROPERTY COMPILE_DEFINITIONS SEEK_HAVE_MPI=1)
  endif()
  if(NOT SEEK_HAVE_CUDA)
    return()
  endif()
  find_path(SEEK_NCCL_INCLUDE_DIR nccl.h HINTS ${NCCL_ROOT} $ENV{NCCL_ROOT} ${CUDAToolkit_INCLUDE_DIRS}
            PATH_SUFFIXES include)
  find_library(SEEK_NCCL_LIBRARY nccl HINTS ${NCCL_ROOT} $ENV{NCCL_ROOT} ${CUDAToolkit_LIBRARY_DIR}
               PATH_SUFFIXES lib lib64)
  if(NOT SEEK_NCCL_INCLUDE_DIR OR NOT SEEK_HAVE_MPI)
    message(STATUS "seek: NCCL engine: OFF (nccl.h: ${SEEK_NCCL_INCLUDE_DIR}, MPI: ${SEEK_HAVE_MPI})")
    return()
  endif()
  if(SEEK_CUDA_SIM)
    add_library(seek_dist_nccl_check OBJECT ${dir}/process_group_nccl.cpp)
    target_include_directories(seek_dist_nccl_check PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src
                               ${SEEK_NCCL_INCLUDE_DIR} ${CUDAToolkit_INCLUDE_DIRS})
    target_compile_definitions(seek_dist_nccl_check PRIVATE SEEK_WITH_CUDA=1 SEEK_HAVE_NCCL=1)
    target_compile_options(seek_dist_nccl_check PRIVATE -Wall -Wextra -Wno-unused-parameter)
    target_link_libraries(seek_dist_nccl_check PRIVATE MPI::MPI_CXX spdlog::spdlog)
    message(STATUS "seek: NCCL engine: compile check only (simulated device)")
  elseif(SEEK_NCCL_LIBRARY)
    set(SEEK_HAVE_NCCL ON PARENT_SCOPE)
    target_sources(${target} PRIVATE ${dir}/process_group_nccl.cpp)
    target_include_directories(${target} PRIVATE ${SEEK_NCCL_INCLUDE_DIR})
    target_link_libraries(${target} PRIVATE ${SEEK_NCCL_LIBRARY})
    set_property(SOURCE ${dir}/process_group.cpp APPEND PROPERTY COMPILE_DEFINITIONS SEEK_HAVE_NCCL=1)
    set_property(SOURCE ${dir}/process_group_nccl.cpp APPEND PROPERTY COMPILE_DEFINITIONS SEEK_HAVE_NCCL=1)
    message(STATUS "seek: NCCL engine: ON (${SEEK_NCCL_LIBRARY})")
  endif()
endfunction()
