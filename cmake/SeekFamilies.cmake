# Configure-time inventory of the backend kernel families (DESIGN.md: one file per
# family with the same stem on every device). For each family in SEEK_KERNEL_FAMILIES
# it looks for
#   src/backend/cpu/cpu_<family>.cpp     the CPU implementation (CpuBackend::<family>)
#   kernels/<family>.cu                  the CUDA kernels, launchers and CudaBackend::<family>
#   tests/cpp/backend/test_<family>.cpp  the device-parameterised test
# and prints one STATUS line per family that lacks any of them, plus files whose stem
# names no family (a helper file of a family is named <family>_<part>, e.g.
# cpu_conv_direct.cpp; cpu_backend.cpp is the CPU backend itself, not a family).
# It reports; it never fails the configure.
#
# Adding a family to the Backend interface: add its name here.
set(SEEK_KERNEL_FAMILIES
    copy unary binary ternary reduce softmax linalg conv pool norm index sort random optim lsh_attention
    CACHE INTERNAL "Backend kernel families, one file per device each")

function(seek_check_families)
  set(root ${PROJECT_SOURCE_DIR})
  set(complete 0)
  set(incomplete 0)
  foreach(family IN LISTS SEEK_KERNEL_FAMILIES)
    set(missing)
    if(NOT EXISTS ${root}/src/backend/cpu/cpu_${family}.cpp)
      list(APPEND missing "src/backend/cpu/cpu_${family}.cpp")
    endif()
    if(NOT EXISTS ${root}/kernels/${family}.cu)
      list(APPEND missing "kernels/${family}.cu")
    endif()
    if(NOT EXISTS ${root}/tests/cpp/backend/test_${family}.cpp)
      list(APPEND missing "tests/cpp/backend/test_${family}.cpp")
    endif()
    if(missing)
      math(EXPR incomplete "${incomplete} + 1")
      list(JOIN missing ", " missing_text)
      message(STATUS "seek: family ${family} lacks ${missing_text}")
    else()
      math(EXPR complete "${complete} + 1")
    endif()
  endforeach()

  # Files that look like a family's but name none (a typo, or a family not yet listed above).
  file(GLOB cpu_files RELATIVE ${root} ${root}/src/backend/cpu/cpu_*.cpp)
  file(GLOB cu_files RELATIVE ${root} ${root}/kernels/*.cu)
  file(GLOB test_files RELATIVE ${root} ${root}/tests/cpp/backend/test_*.cpp)
  foreach(path IN LISTS cpu_files cu_files test_files)
    get_filename_component(stem ${path} NAME_WE)
    string(REGEX REPLACE "^(cpu_|test_)" "" stem ${stem})
    set(known FALSE)
    if(stem STREQUAL "backend")
      set(known TRUE)
    endif()
    foreach(family IN LISTS SEEK_KERNEL_FAMILIES)
      if(stem STREQUAL family OR stem MATCHES "^${family}_")
        set(known TRUE)
      endif()
    endforeach()
    if(NOT known)
      message(STATUS "seek: ${path} names no kernel family (families: ${SEEK_KERNEL_FAMILIES})")
    endif()
  endforeach()

  list(LENGTH SEEK_KERNEL_FAMILIES total)
  message(STATUS "seek: kernel families with CPU, CUDA and test files: ${complete} of ${total}"
                 " (${incomplete} incomplete, listed above)")
endfunction()

seek_check_families()
