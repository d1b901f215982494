# cmake --install: headers, the library and a package config, so that another
# project does find_package(seek CONFIG) and links seek::seek.
include(CMakePackageConfigHelpers)
# The installed library keeps the run path to dependencies outside the system
# directories (the CUDA runtime under the toolkit, a conda spdlog, ...).
set_target_properties(seek PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
install(TARGETS seek EXPORT seekTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/seek DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT seekTargets NAMESPACE seek:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/seek)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/seekConfig.cmake.in
  ${PROJECT_BINARY_DIR}/seekConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/seek)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/seekConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/seekConfig.cmake ${PROJECT_BINARY_DIR}/seekConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/seek)
