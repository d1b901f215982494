# Decides whether the CUDA backend is built and, if so, adds its sources.
#
# SEEK_CUDA=AUTO builds it where both the toolkit and nvcc are found, ON insists
# on it, OFF never builds it. The backend is host C++ (src/backend/cuda/*.cpp,
# compiled by the C++ compiler against the toolkit headers) plus the kernels
# (kernels/*.cu). Without CUDA, src/backend/cuda_none.cpp provides the
# seek/cuda.h functions instead (the top-level filter drops it when
# SEEK_HAVE_CUDA is ON).
#
# The kernels are built one of two ways (docs/cuda.md):
#   nvcc            for a GPU (CMAKE_CUDA_ARCHITECTURES, default sm_80 and sm_90), linked with cudart;
#   SEEK_CUDA_SIM   by the host compiler against the SIMT simulator (kernels/sim), with the
#                   simulated device's runtime (src/backend/cuda/sim_*.cpp) instead of cudart:
#                   the whole CUDA backend runs without a GPU. Only the toolkit's headers and
#                   Boost.Context are needed; where nvcc exists too, every kernels/*.cu is also
#                   compiled by it (target seek_kernels_nvcc, never linked) so that a kernel
#                   nvcc rejects fails the build.
option(SEEK_CUDA_SIM "Build the CUDA backend against the SIMT simulator (a simulated device; no GPU needed)" OFF)
set(SEEK_HAVE_CUDA OFF)
set(SEEK_NVCC_CHECK OFF)
if(SEEK_CUDA_SIM)
  find_package(CUDAToolkit REQUIRED)  # headers: types, dim3, __half and __nv_bfloat16
  find_package(Boost 1.66 REQUIRED COMPONENTS context)  # the simulator's fibers (libboost-context-dev)
  set(SEEK_HAVE_CUDA ON)
  if(CUDAToolkit_NVCC_EXECUTABLE AND EXISTS "${CUDAToolkit_NVCC_EXECUTABLE}" AND NOT CMAKE_CUDA_COMPILER)
    set(CMAKE_CUDA_COMPILER "${CUDAToolkit_NVCC_EXECUTABLE}")
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(SEEK_NVCC_CHECK ON)
  endif()
  message(STATUS "seek: CUDA backend ON, simulated device (SIMT simulator; nvcc compile check: ${SEEK_NVCC_CHECK})")
elseif(NOT SEEK_CUDA STREQUAL "OFF")
  find_package(CUDAToolkit QUIET)
  if(CUDAToolkit_FOUND AND NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX}
     AND CUDAToolkit_NVCC_EXECUTABLE AND EXISTS "${CUDAToolkit_NVCC_EXECUTABLE}")
    # nvcc is often not on PATH (/usr/local/cuda/bin): use the toolkit's own.
    set(CMAKE_CUDA_COMPILER "${CUDAToolkit_NVCC_EXECUTABLE}")
  endif()
  if(CUDAToolkit_FOUND)
    include(CheckLanguage)
    check_language(CUDA)
  endif()
  if(CUDAToolkit_FOUND AND CMAKE_CUDA_COMPILER)
    set(SEEK_HAVE_CUDA ON)
  elseif(SEEK_CUDA STREQUAL "ON")
    message(FATAL_ERROR "SEEK_CUDA=ON but the CUDA toolkit or nvcc was not found "
                        "(toolkit found: ${CUDAToolkit_FOUND}; set CUDAToolkit_ROOT or CMAKE_CUDA_COMPILER)")
  endif()
endif()

if(SEEK_HAVE_CUDA AND (NOT SEEK_CUDA_SIM OR SEEK_NVCC_CHECK))
  # sm_80 (A100) and sm_90 (H100), each as SASS plus PTX for newer GPUs.
  # A kernel that needs wgmma adds sm_90a for its own file.
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
    set(CMAKE_CUDA_ARCHITECTURES "80;90" CACHE STRING "CUDA architectures seek's kernels are compiled for" FORCE)
  endif()
  enable_language(CUDA)
  if(CMAKE_CUDA_COMPILER_VERSION VERSION_LESS 12.0)
    message(FATAL_ERROR "seek's kernels are C++20: nvcc 12.0 or newer is needed, found ${CMAKE_CUDA_COMPILER_VERSION}")
  endif()
  if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
    # CMake 3.25 knows nvcc only up to C++17 and otherwise fails with "requires
    # the language dialect CUDA20" (CUDA follows CXX_STANDARD 20); nvcc 12+ takes -std=c++20.
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
  endif()
  set(CMAKE_CUDA_STANDARD 20)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  if(NOT SEEK_CUDA_SIM)
    message(STATUS "seek: CUDA backend ON (CUDA ${CUDAToolkit_VERSION}, nvcc ${CMAKE_CUDA_COMPILER}, "
                   "architectures ${CMAKE_CUDA_ARCHITECTURES})")
  endif()
elseif(NOT SEEK_HAVE_CUDA)
  message(STATUS "seek: CUDA backend OFF")
endif()

# For the simulator build: one generated .cpp per .cu under the build tree, which
# includes the simulator's prelude and then the .cu, so that the host compiler
# builds the unchanged kernel source. The list of wrappers goes to out_var.
function(seek_sim_wrappers out_var)
  set(wrappers)
  foreach(cu IN LISTS ARGN)
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${cu})
    set(wrapper ${PROJECT_BINARY_DIR}/sim_wrappers/${rel}.cpp)
    file(CONFIGURE OUTPUT ${wrapper} CONTENT
         "// Generated: ${rel} built by the host compiler for the SIMT simulator.\n#include \"kernels/sim/sim_prelude.h\"\n#include \"${cu}\"\n")
    list(APPEND wrappers ${wrapper})
  endforeach()
  set(${out_var} ${wrappers} PARENT_SCOPE)
endfunction()

# What a target with kernel sources (.cu) needs in the simulator build: the toolkit's
# headers, the repository root (kernels/...) and the simulated device's macro.
function(seek_sim_target target)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/src ${CUDAToolkit_INCLUDE_DIRS})
  target_compile_definitions(${target} PRIVATE SEEK_CUDA_SIM=1)
endfunction()

# cuDNN for kernels/conv_cudnn.cu, where the toolkit (or CUDNN_ROOT) has it; without it conv2d
# runs seek's own kernels (kernels/conv.cu) on the GPU too.
function(seek_find_cudnn)
  find_path(SEEK_CUDNN_INCLUDE_DIR cudnn.h HINTS ${CUDNN_ROOT} $ENV{CUDNN_ROOT} ${CUDAToolkit_INCLUDE_DIRS}
            PATH_SUFFIXES include)
  find_library(SEEK_CUDNN_LIBRARY cudnn HINTS ${CUDNN_ROOT} $ENV{CUDNN_ROOT} ${CUDAToolkit_LIBRARY_DIR}
               PATH_SUFFIXES lib lib64)
  if(SEEK_CUDNN_INCLUDE_DIR AND SEEK_CUDNN_LIBRARY)
    set(SEEK_HAVE_CUDNN ON PARENT_SCOPE)
  else()
    set(SEEK_HAVE_CUDNN OFF PARENT_SCOPE)
  endif()
endfunction()

function(seek_add_cuda target)
  if(NOT SEEK_HAVE_CUDA)
    return()
  endif()
  seek_find_cudnn()
  file(GLOB_RECURSE cuda_host CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/backend/cuda/*.cpp)
  file(GLOB cuda_kernels CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/kernels/*.cu)
  target_compile_definitions(${target} PUBLIC SEEK_WITH_CUDA=1)

  if(SEEK_CUDA_SIM)
    file(GLOB sim_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/kernels/sim/*.cpp)
    seek_sim_wrappers(kernel_wrappers ${cuda_kernels})
    target_sources(${target} PRIVATE ${cuda_host} ${kernel_wrappers} ${sim_sources})
    # Only the CUDA sources see SEEK_CUDA_SIM, so the rest of the library compiles as in any build.
    set_source_files_properties(${cuda_host} ${kernel_wrappers} ${sim_sources} PROPERTIES COMPILE_DEFINITIONS
                                SEEK_CUDA_SIM=1)
    target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR} ${CUDAToolkit_INCLUDE_DIRS})
    target_link_libraries(${target} PRIVATE Boost::context)
    if(SEEK_NVCC_CHECK)
      # nvcc compiles every kernel file too (not linked): a kernel that the simulator
      # accepts but nvcc rejects fails the build.
      # The Hopper kernel (wgmma, TMA, setmaxnreg) needs sm_90a: it is checked for that target alone.
      list(FILTER cuda_kernels EXCLUDE REGEX "/linalg_hopper_gemm\\.cu$")
      add_library(seek_kernels_nvcc_sm90a OBJECT ${PROJECT_SOURCE_DIR}/kernels/linalg_hopper_gemm.cu)
      set_target_properties(seek_kernels_nvcc_sm90a PROPERTIES CUDA_ARCHITECTURES OFF)
      target_include_directories(seek_kernels_nvcc_sm90a PRIVATE ${PROJECT_SOURCE_DIR}/include
                                 ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
      target_compile_definitions(seek_kernels_nvcc_sm90a PRIVATE SEEK_WITH_CUDA=1)
      target_compile_options(seek_kernels_nvcc_sm90a PRIVATE --expt-relaxed-constexpr
                             -gencode=arch=compute_90a,code=sm_90a -Xcompiler=-Wall,-Wextra,-Wno-unused-parameter)
      add_library(seek_kernels_nvcc OBJECT ${cuda_kernels})
      target_include_directories(seek_kernels_nvcc PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src
                                 ${PROJECT_SOURCE_DIR})
      target_compile_definitions(seek_kernels_nvcc PRIVATE SEEK_WITH_CUDA=1)
      target_compile_options(seek_kernels_nvcc PRIVATE --expt-relaxed-constexpr
                             -Xcompiler=-Wall,-Wextra,-Wno-unused-parameter)
      if(NOT TARGET CUDA::cublasLt)  # what the nvcc build links for kernels/linalg_lt.cu
        message(WARNING "seek: CUDA::cublasLt not found in the toolkit; the nvcc build would not link")
      endif()
      if(SEEK_HAVE_CUDNN)  # compile the cuDNN path too
        target_compile_definitions(seek_kernels_nvcc PRIVATE SEEK_HAVE_CUDNN=1)
        target_include_directories(seek_kernels_nvcc PRIVATE ${SEEK_CUDNN_INCLUDE_DIR})
      endif()
    endif()
    return()
  endif()
  list(FILTER cuda_host EXCLUDE REGEX "/sim_[a-z_]+\\.cpp$")  # the simulated device's runtime

  # The target's warning and -march flags are for the C++ compiler; nvcc
  # rejects them, so they are limited to C++ sources and nvcc gets its own.
  get_target_property(opts ${target} COMPILE_OPTIONS)
  if(opts)
    set(cxx_only)
    foreach(opt IN LISTS opts)
      if(opt MATCHES "^\\$<")
        list(APPEND cxx_only "${opt}")
      else()
        list(APPEND cxx_only "$<$<COMPILE_LANGUAGE:CXX>:${opt}>")
      endif()
    endforeach()
    set_property(TARGET ${target} PROPERTY COMPILE_OPTIONS "${cxx_only}")
  endif()
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -Xcompiler=-Wall,-Wextra,-Wno-unused-parameter>)

  # kernels/linalg_hopper_gemm.cu uses sm_90a instructions (wgmma, TMA, setmaxnreg): where sm_90 is
  # among the architectures it is compiled for sm_90a alone (a plain sm_90 image of it would only
  # trap, and the driver must not pick it); elsewhere for the others, where its kernel traps and
  # cuda::hopper_gemm refuses the device.
  if("90" IN_LIST CMAKE_CUDA_ARCHITECTURES OR "90-real" IN_LIST CMAKE_CUDA_ARCHITECTURES)
    set(hopper_cu ${PROJECT_SOURCE_DIR}/kernels/linalg_hopper_gemm.cu)
    set_source_files_properties(${hopper_cu} PROPERTIES COMPILE_OPTIONS "-gencode=arch=compute_90a,code=sm_90a")
    list(FILTER cuda_kernels EXCLUDE REGEX "/linalg_hopper_gemm\\.cu$")
    add_library(seek_hopper_kernels OBJECT ${hopper_cu})
    set_target_properties(seek_hopper_kernels PROPERTIES CUDA_ARCHITECTURES OFF POSITION_INDEPENDENT_CODE ON)
    target_include_directories(seek_hopper_kernels PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src
                               ${PROJECT_SOURCE_DIR})
    target_compile_definitions(seek_hopper_kernels PRIVATE SEEK_WITH_CUDA=1)
    target_compile_options(seek_hopper_kernels PRIVATE --expt-relaxed-constexpr
                           -Xcompiler=-Wall,-Wextra,-Wno-unused-parameter)
    target_sources(${target} PRIVATE $<TARGET_OBJECTS:seek_hopper_kernels>)
  endif()
  target_sources(${target} PRIVATE ${cuda_host} ${cuda_kernels})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR})  # "kernels/..."
  # For seek::cuda::build_info(): the architectures the kernels were built for.
  string(REPLACE ";" "," arch_list "${CMAKE_CUDA_ARCHITECTURES}")
  set_property(SOURCE ${PROJECT_SOURCE_DIR}/src/backend/cuda/cuda_runtime.cpp APPEND PROPERTY
    COMPILE_DEFINITIONS SEEK_CUDA_ARCH_LIST="${arch_list}")
  # cuBLAS for the GEMMs of kernels/linalg.cu, cuDNN for conv2d where found (the simulator build
  # runs seek's own kernels instead).
  target_link_libraries(${target} PRIVATE CUDA::cudart CUDA::cublas CUDA::cublasLt)  # cuBLASLt: kernels/linalg_lt.cu
  if(SEEK_HAVE_CUDNN)
    target_compile_definitions(${target} PRIVATE SEEK_HAVE_CUDNN=1)
    target_include_directories(${target} PRIVATE ${SEEK_CUDNN_INCLUDE_DIR})
    target_link_libraries(${target} PRIVATE ${SEEK_CUDNN_LIBRARY})
  endif()
  message(STATUS "seek: cuDNN for conv2d: ${SEEK_HAVE_CUDNN}")
endfunction()
