# install.cmake — what `cmake --install` puts under a prefix (docs/build.md).
# memkit is compiled from source with each program's memkit.toml, so it
# installs what such a build needs, not a library:
#
#   bin/memkit-gen                  a relative link to share/memkit/generator/memkit-gen
#   bin/memkit-lens                 a relative link to share/memkit/tools/memkit-lens
#   include/memkit/                 the public headers (runtime, async, gpu)
#   share/memkit/                   the layout of a checkout: runtime/src, async/src,
#                                   gpu/src, generator/, templates/, cmake/ (the
#                                   package: find_package(memkit) with CMAKE_PREFIX_PATH)
#   share/pkgconfig/memkit.pc       paths for other build systems (pkg-config)
#
# Nothing installed names the prefix (the package config is relative to its
# folder, memkit.pc to ${pcfiledir}, the link to bin/): a prefix may be moved.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(MEMKIT_INSTALL_DATADIR "${CMAKE_INSTALL_DATADIR}/memkit")
set(memkit_cmake_dir "${MEMKIT_INSTALL_DATADIR}/cmake")

install(DIRECTORY runtime/include/ async/include/ gpu/include/ DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
foreach(part runtime async gpu)
  install(DIRECTORY ${part}/src DESTINATION "${MEMKIT_INSTALL_DATADIR}/${part}")
endforeach()
install(DIRECTORY templates DESTINATION "${MEMKIT_INSTALL_DATADIR}" FILES_MATCHING PATTERN "*.j2")
install(PROGRAMS generator/memkit-gen DESTINATION "${MEMKIT_INSTALL_DATADIR}/generator")
install(DIRECTORY generator/memkit_gen DESTINATION "${MEMKIT_INSTALL_DATADIR}/generator"
        FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)

# memkit-lens, with the catalogue its explain reads (docs/diagnostics.md) and
# its report template; it finds the generator's package at ../generator.
install(PROGRAMS tools/memkit-lens DESTINATION "${MEMKIT_INSTALL_DATADIR}/tools")
install(DIRECTORY tools/memkit_lens DESTINATION "${MEMKIT_INSTALL_DATADIR}/tools"
        FILES_MATCHING PATTERN "*.py" PATTERN "*.j2" PATTERN "__pycache__" EXCLUDE)
install(FILES docs/diagnostics.md DESTINATION "${MEMKIT_INSTALL_DATADIR}/docs")

# memkit-gen and memkit-lens on PATH: each script finds its package next to its real path.
file(MAKE_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}/install")
foreach(tool generator/memkit-gen tools/memkit-lens)
  get_filename_component(name "${tool}" NAME)
  file(RELATIVE_PATH link "${CMAKE_INSTALL_FULL_BINDIR}" "${CMAKE_INSTALL_FULL_DATADIR}/memkit/${tool}")
  file(CREATE_LINK "${link}" "${CMAKE_CURRENT_BINARY_DIR}/install/${name}" SYMBOLIC)
  install(PROGRAMS "${CMAKE_CURRENT_BINARY_DIR}/install/${name}" DESTINATION "${CMAKE_INSTALL_BINDIR}")
endforeach()

# The CMake package: the same memkit.cmake as a checkout's, over the installed
# paths. No binaries, so any architecture may use it (an -m32 build too).
configure_package_config_file(cmake/memkitConfig.cmake.in "${CMAKE_CURRENT_BINARY_DIR}/install/memkitConfig.cmake"
                              INSTALL_DESTINATION "${memkit_cmake_dir}"
                              PATH_VARS MEMKIT_INSTALL_DATADIR CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/install/memkitConfigVersion.cmake"
                                 VERSION "${PROJECT_VERSION}" COMPATIBILITY AnyNewerVersion ARCH_INDEPENDENT)
install(FILES cmake/memkit.cmake "${CMAKE_CURRENT_BINARY_DIR}/install/memkitConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/install/memkitConfigVersion.cmake"
        DESTINATION "${memkit_cmake_dir}")

# memkit.pc: every path below ${pcfiledir}; runtime_sources is the set
# memkit.cmake compiles (MEMKIT_RUNTIME_SOURCES), as installed.
set(memkit_pc_dir "${CMAKE_INSTALL_DATADIR}/pkgconfig")
file(RELATIVE_PATH MEMKIT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}/${memkit_pc_dir}" "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/$" "" MEMKIT_PC_PREFIX "${MEMKIT_PC_PREFIX}")
foreach(dir INCLUDEDIR BINDIR DATADIR)
  file(RELATIVE_PATH MEMKIT_PC_${dir} "${CMAKE_INSTALL_PREFIX}" "${CMAKE_INSTALL_FULL_${dir}}")
endforeach()
set(MEMKIT_PC_RUNTIME_SOURCES "")
foreach(src ${MEMKIT_RUNTIME_SOURCES})
  file(RELATIVE_PATH src "${MEMKIT_ROOT}" "${src}")
  string(APPEND MEMKIT_PC_RUNTIME_SOURCES " \${pkgdatadir}/${src}")
endforeach()
string(STRIP "${MEMKIT_PC_RUNTIME_SOURCES}" MEMKIT_PC_RUNTIME_SOURCES)
configure_file(cmake/memkit.pc.in "${CMAKE_CURRENT_BINARY_DIR}/install/memkit.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/install/memkit.pc" DESTINATION "${memkit_pc_dir}")
