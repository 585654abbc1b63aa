# integrations/cpp.cmake — the C++ adapters: Bullet Physics and Dear ImGui
# (integrations/bullet, integrations/imgui; docs/integrations.md). Included
# from integrations/CMakeLists.txt. Each library is looked up with
# pkg-config (Debian: libbullet-dev, libimgui-dev) and skipped with a message
# when absent. For each:
#   memkit_<lib>          INTERFACE target: the adapter's header and the library
#   test_<lib>            tests/integrations/test_<lib>.cpp on a runtime from
#                         tests/integrations/<lib>.toml; labels runtime and
#                         integrations (also under ASan+UBSan and TSan); not in
#                         the -m32 build (the Debian libraries are 64-bit only)
#   bench_<lib>           bench/integrations/bench_<lib>.cpp (MEMKIT_BUILD_BENCH)

if(NOT CMAKE_CXX_COMPILER)
  message(STATUS "integrations: no C++ compiler, Bullet and Dear ImGui adapters skipped")
  return()
endif()
# (integrations/CMakeLists.txt has found pkg-config and left out 32-bit builds)

# memkit_cpp_integration(NAME lib PKG pkg-config-name DEBIAN package): the
# targets and test above for integrations/<lib>, or a message when absent
function(memkit_cpp_integration)
  cmake_parse_arguments(MK "" "NAME;PKG;DEBIAN" "" ${ARGN})
  pkg_check_modules(MK_${MK_NAME} QUIET IMPORTED_TARGET ${MK_PKG})
  if(NOT MK_${MK_NAME}_FOUND)
    message(STATUS "integrations: ${MK_NAME} skipped: pkg-config finds no '${MK_PKG}' (Debian: apt-get install ${MK_DEBIAN})")
    return()
  endif()
  # PkgConfig:: targets are imported: their headers are SYSTEM, their warnings not memkit's
  add_library(memkit_${MK_NAME} INTERFACE)
  target_include_directories(memkit_${MK_NAME} INTERFACE "${MEMKIT_ROOT}/integrations/${MK_NAME}")
  target_link_libraries(memkit_${MK_NAME} INTERFACE PkgConfig::MK_${MK_NAME})
  target_compile_features(memkit_${MK_NAME} INTERFACE cxx_std_17)

  if(MEMKIT_BUILD_TESTS)
    memkit_generate(TARGET memkit_${MK_NAME}_runtime CONFIG "${MEMKIT_ROOT}/tests/integrations/${MK_NAME}.toml")
    add_executable(test_${MK_NAME} "${MEMKIT_ROOT}/tests/integrations/test_${MK_NAME}.cpp")
    target_link_libraries(test_${MK_NAME} PRIVATE memkit_${MK_NAME} memkit_${MK_NAME}_runtime)
    target_include_directories(test_${MK_NAME} PRIVATE "${MEMKIT_ROOT}/tests/runtime") # check.h
    set_target_properties(test_${MK_NAME} PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
    add_test(NAME test_${MK_NAME} COMMAND test_${MK_NAME})
    set_tests_properties(test_${MK_NAME} PROPERTIES LABELS "runtime;integrations" TIMEOUT 300)
  endif()

  if(MEMKIT_BUILD_BENCH)
    # its own runtime, without the tests' internal assertions (MK_ASSERT_LEVEL=2
    # is a directory-wide definition when tests are built: -U comes after it)
    memkit_generate(TARGET memkit_${MK_NAME}_bench_runtime CONFIG "${MEMKIT_ROOT}/tests/integrations/${MK_NAME}.toml")
    add_executable(bench_${MK_NAME} "${MEMKIT_ROOT}/bench/integrations/bench_${MK_NAME}.cpp")
    foreach(target memkit_${MK_NAME}_bench_runtime bench_${MK_NAME})
      target_compile_options(${target} PRIVATE -UMK_ASSERT_LEVEL)
    endforeach()
    target_link_libraries(bench_${MK_NAME} PRIVATE memkit_${MK_NAME} memkit_${MK_NAME}_bench_runtime ${CMAKE_DL_LIBS})
    target_include_directories(bench_${MK_NAME} PRIVATE "${MEMKIT_ROOT}/bench") # peers.h
    set_target_properties(bench_${MK_NAME} PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
  endif()
endfunction()

memkit_cpp_integration(NAME bullet PKG bullet DEBIAN libbullet-dev)
memkit_cpp_integration(NAME imgui PKG imgui DEBIAN libimgui-dev)
