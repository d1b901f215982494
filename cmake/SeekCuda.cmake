# Decides whether the CUDA backend is built and, if so, adds its sources.
#
# SEEK_CUDA=AUTO builds it where both the toolkit and nvcc are found, ON insists
# on it, OFF never builds it. The backend is host C++ (src/backend/cuda/*.cpp,
# compiled by the C++ compiler against the toolkit headers) plus the kernels
# (kernels/*.cu, compiled by nvcc). Without CUDA, src/backend/cuda_none.cpp
# provides the seek/cuda.h functions instead (the top-level filter drops it
# when SEEK_HAVE_CUDA is ON).
set(SEEK_HAVE_CUDA OFF)
if(NOT SEEK_CUDA STREQUAL "OFF")
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

if(SEEK_HAVE_CUDA)
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
  message(STATUS "seek: CUDA backend ON (CUDA ${CUDAToolkit_VERSION}, nvcc ${CMAKE_CUDA_COMPILER}, "
                 "architectures ${CMAKE_CUDA_ARCHITECTURES})")
else()
  message(STATUS "seek: CUDA backend OFF")
endif()

function(seek_add_cuda target)
  if(NOT SEEK_HAVE_CUDA)
    return()
  endif()
  file(GLOB_RECURSE cuda_host CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/backend/cuda/*.cpp)
  file(GLOB_RECURSE cuda_kernels CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/kernels/*.cu)

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

  target_sources(${target} PRIVATE ${cuda_host} ${cuda_kernels})
  target_compile_definitions(${target} PUBLIC SEEK_WITH_CUDA=1)
  # For seek::cuda::build_info(): the architectures the kernels were built for.
  string(REPLACE ";" "," arch_list "${CMAKE_CUDA_ARCHITECTURES}")
  set_property(SOURCE ${PROJECT_SOURCE_DIR}/src/backend/cuda/cuda_runtime.cpp APPEND PROPERTY
    COMPILE_DEFINITIONS SEEK_CUDA_ARCH_LIST="${arch_list}")
  target_link_libraries(${target} PRIVATE CUDA::cudart)
endfunction()
