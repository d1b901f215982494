# Chooses the f32/f64 GEMM of the CPU backend (src/backend/cpu/cpu_linalg.cpp).
#
# SEEK_BLAS=AUTO uses OpenBLAS through CBLAS where it is found and Eigen's GEMM
# otherwise, OpenBLAS insists on it, Eigen never uses a BLAS. OpenBLAS is found
# through pkg-config (Debian: libopenblas-dev) or its CMake config. Everything
# else (f16/bf16, integers, batches of small matrices) always uses seek's own
# code and Eigen. docs/performance.md has the numbers behind the default.
set(SEEK_BLAS AUTO CACHE STRING "CPU GEMM for f32/f64: AUTO (OpenBLAS where found), OpenBLAS or Eigen")
set_property(CACHE SEEK_BLAS PROPERTY STRINGS AUTO OpenBLAS Eigen)

function(seek_add_blas target)
  if(SEEK_BLAS STREQUAL "Eigen")
    message(STATUS "seek: GEMM via Eigen (SEEK_BLAS=Eigen)")
    return()
  endif()
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(SEEK_OPENBLAS QUIET IMPORTED_TARGET openblas)
  endif()
  if(SEEK_OPENBLAS_FOUND)
    target_link_libraries(${target} PRIVATE PkgConfig::SEEK_OPENBLAS)
    set(where "${SEEK_OPENBLAS_LINK_LIBRARIES}")
  else()
    find_package(OpenBLAS CONFIG QUIET)
    if(OpenBLAS_FOUND)
      target_include_directories(${target} PRIVATE ${OpenBLAS_INCLUDE_DIRS})
      target_link_libraries(${target} PRIVATE ${OpenBLAS_LIBRARIES})
      set(where "${OpenBLAS_LIBRARIES}")
    endif()
  endif()
  if(SEEK_OPENBLAS_FOUND OR OpenBLAS_FOUND)
    target_compile_definitions(${target} PRIVATE SEEK_HAVE_CBLAS=1)
    message(STATUS "seek: GEMM via OpenBLAS (${where})")
  elseif(SEEK_BLAS STREQUAL "OpenBLAS")
    message(FATAL_ERROR "SEEK_BLAS=OpenBLAS but OpenBLAS was not found (Debian: apt install libopenblas-dev)")
  else()
    message(STATUS "seek: GEMM via Eigen (OpenBLAS not found)")
  endif()
endfunction()
