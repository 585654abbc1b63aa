# memkit.cmake — build memkit's runtime against a memkit.toml.
#
#   memkit_generate(TARGET name CONFIG memkit.toml [PLATFORM name] [OUTPUT_DIR dir])
#       Runs memkit-gen at build time (re-run when the config, the templates or
#       the generator change) and builds a static library `name` from the
#       runtime and the generated sources. Link it and include <memkit/memkit.h>.
#       memkit-gen is told the compiler's target (--target lp64, i386 or ilp32,
#       from its pointer size; the MEMKIT_TARGET variable overrides it, "" tells
#       nothing): a config without [memkit] target is generated for it, one
#       with another target is refused.
#
#   memkit_add_runtime(TARGET name GENERATED_DIR dir)
#       The same library from generated sources you have committed (dir holds
#       memkit_config.h and memkit_config.c); check them in CI with
#       `memkit-gen CONFIG -o dir --check`.
#
# The runtime is compiled per config: its array sizes and fast paths are
# constants of the generated header. FAULT_INJECTION (either function) builds
# it with mk_fault_fail_at() for reliability tests; VALGRIND tells memcheck
# about every block (memkit/track.h; AddressSanitizer needs no option); the
# MEMKIT_SENTINEL option builds every runtime in sentinel (hardened debug) mode.
#
# Targets without an OS or without stdio (docs/embedded.md): OS posix | none |
# user picks the OS layer (default: the MEMKIT_OS cache variable, posix), with
# OS_SOURCES naming the program's own layer for OS user; NO_STDIO (or the
# MEMKIT_NO_STDIO option) builds without stdio, text through line sinks only.
#
# Included by memkitConfig.cmake: a checkout's (MEMKIT_ROOT is the checkout),
# or an installed one (cmake/install.cmake: MEMKIT_ROOT is <prefix>/share/memkit,
# laid out as a checkout, and MEMKIT_INCLUDE_DIRS is <prefix>/include).
# Builds without CMake: docs/build.md.

# Per directory: a project that calls find_package(memkit) in two sibling
# folders needs MEMKIT_RUNTIME_SOURCES and the rest set in both.
include_guard(DIRECTORY)

if(NOT DEFINED MEMKIT_ROOT)
  get_filename_component(MEMKIT_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
endif()

if(NOT MEMKIT_PYTHON)
  find_package(Python3 3.11 COMPONENTS Interpreter REQUIRED)
  set(MEMKIT_PYTHON "${Python3_EXECUTABLE}" CACHE FILEPATH "Python with Jinja2 that runs memkit-gen")
endif()

find_package(Threads) # the posix OS layer's; bare-metal toolchains have none

# The public headers: a checkout's three include folders, or the one an
# installed memkitConfig.cmake names (cmake/install.cmake).
if(NOT DEFINED MEMKIT_INCLUDE_DIRS)
  set(MEMKIT_INCLUDE_DIRS "${MEMKIT_ROOT}/runtime/include" "${MEMKIT_ROOT}/async/include"
                          "${MEMKIT_ROOT}/gpu/include")
endif()

set(MEMKIT_GENERATOR "${MEMKIT_ROOT}/generator/memkit-gen")
file(GLOB MEMKIT_GENERATOR_SOURCES CONFIGURE_DEPENDS
     "${MEMKIT_ROOT}/generator/memkit_gen/*.py" "${MEMKIT_ROOT}/templates/*.j2")
option(MEMKIT_SENTINEL "Build memkit runtimes in sentinel (hardened debug) mode" OFF)
set(MEMKIT_OS "posix" CACHE STRING "OS layer of memkit runtimes: posix | none (bare metal) | user (your own)")
set_property(CACHE MEMKIT_OS PROPERTY STRINGS posix none user)
option(MEMKIT_NO_STDIO "Build memkit runtimes without stdio: text through line sinks only" OFF)

# The runtime library's sources (memkit.pc's runtime_sources is this list);
# cmake/runtime_sources.sh and examples/make/Makefile name the same set for
# builds without CMake (the tests in tests/packaging fail when they differ).
# The runtime's sources sit one folder down, by concern (tiers/, lifecycle/,
# policy/, prim/ ...; docs/architecture.md); runtime/src itself holds only
# the headers every folder includes.
file(GLOB MEMKIT_RUNTIME_SOURCES CONFIGURE_DEPENDS
     "${MEMKIT_ROOT}/runtime/src/*/*.c" "${MEMKIT_ROOT}/async/src/*.c" "${MEMKIT_ROOT}/gpu/src/*.c")
# The GPU backends are not part of the runtime library: backend_mock.c is a
# test device, and backend_vulkan.c needs <vulkan/vulkan.h>. A program that
# drives a real GPU adds MEMKIT_GPU_VULKAN_SOURCES to its own target, with
# MEMKIT_GPU_BACKEND_INCLUDE_DIR on its include path (gpu/README.md).
list(FILTER MEMKIT_RUNTIME_SOURCES EXCLUDE REGEX "/gpu/src/backend_[^/]*\\.c$")
set(MEMKIT_GPU_VULKAN_SOURCES "${MEMKIT_ROOT}/gpu/src/backend_vulkan.c")
set(MEMKIT_GPU_BACKEND_INCLUDE_DIR "${MEMKIT_ROOT}/gpu/src")

function(memkit_add_runtime)
  cmake_parse_arguments(MK "FAULT_INJECTION;VALGRIND;NO_STDIO" "TARGET;GENERATED_DIR;OS" "OS_SOURCES" ${ARGN})
  if(NOT MK_TARGET OR NOT MK_GENERATED_DIR)
    message(FATAL_ERROR "memkit_add_runtime: TARGET and GENERATED_DIR are required")
  endif()
  if(NOT MK_OS)
    set(MK_OS "${MEMKIT_OS}")
  endif()
  if(NOT MK_OS MATCHES "^(posix|none|user)$")
    message(FATAL_ERROR "memkit_add_runtime: OS ${MK_OS} is none of posix, none, user")
  endif()
  if(MK_OS STREQUAL "user" AND NOT MK_OS_SOURCES)
    message(FATAL_ERROR "memkit_add_runtime: OS user needs OS_SOURCES, the files of your OS layer")
  endif()
  set(sources ${MEMKIT_RUNTIME_SOURCES})
  if(MK_NO_STDIO OR MEMKIT_NO_STDIO)
    set(MK_NO_STDIO ON)
    list(FILTER sources EXCLUDE REGEX "/gpu/src/") # the GPU tier prints to FILEs (and needs an OS)
  endif()
  add_library(${MK_TARGET} STATIC ${sources} "${MK_GENERATED_DIR}/memkit_config.c" ${MK_OS_SOURCES})
  target_include_directories(${MK_TARGET}
    PUBLIC ${MEMKIT_INCLUDE_DIRS} "${MK_GENERATED_DIR}"
    PRIVATE "${MEMKIT_ROOT}/runtime/src" "${MEMKIT_ROOT}/gpu/src")
  # Hidden by default: a program or shared library that links the runtime
  # exports its public API only (memkit/lang.h, MK__API_BEGIN).
  set_target_properties(${MK_TARGET} PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF
                                                C_VISIBILITY_PRESET hidden)
  if(MK_OS STREQUAL "posix")
    if(NOT TARGET Threads::Threads)
      message(FATAL_ERROR "memkit_add_runtime: the posix OS layer needs threads (pthreads)")
    endif()
    target_link_libraries(${MK_TARGET} PUBLIC Threads::Threads)
  else()
    target_compile_definitions(${MK_TARGET} PUBLIC MK_OS=${MK_OS})
  endif()
  if(MK_NO_STDIO)
    target_compile_definitions(${MK_TARGET} PUBLIC MK_NO_STDIO=1)
  endif()
  if(MEMKIT_SENTINEL)
    target_compile_definitions(${MK_TARGET} PUBLIC MK_SENTINEL=1)
  endif()
  if(MK_FAULT_INJECTION)
    target_compile_definitions(${MK_TARGET} PUBLIC MK_FAULT_INJECTION=1)
  endif()
  if(MK_VALGRIND)
    target_compile_definitions(${MK_TARGET} PUBLIC MK_VALGRIND=1)
  endif()
endfunction()

function(memkit_generate)
  cmake_parse_arguments(MK "FAULT_INJECTION;VALGRIND;NO_STDIO" "TARGET;CONFIG;PLATFORM;OUTPUT_DIR;OS" "OS_SOURCES" ${ARGN})
  if(NOT MK_TARGET OR NOT MK_CONFIG)
    message(FATAL_ERROR "memkit_generate: TARGET and CONFIG are required")
  endif()
  get_filename_component(config "${MK_CONFIG}" ABSOLUTE)
  if(NOT MK_OUTPUT_DIR)
    set(MK_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}/${MK_TARGET}_gen")
  endif()
  set(platform_args "")
  if(MK_PLATFORM)
    set(platform_args --platform "${MK_PLATFORM}")
  endif()
  if(DEFINED MEMKIT_TARGET)
    set(memkit_target "${MEMKIT_TARGET}")
  elseif(CMAKE_SIZEOF_VOID_P EQUAL 8)
    set(memkit_target lp64)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64|i[3-6]86|x86)$") # -m32 on an x86-64 host too
    set(memkit_target i386)
  else()
    set(memkit_target ilp32)
  endif()
  if(memkit_target)
    list(APPEND platform_args --target "${memkit_target}")
  endif()
  set(outputs "${MK_OUTPUT_DIR}/memkit_config.h" "${MK_OUTPUT_DIR}/memkit_config.c")
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND "${MEMKIT_PYTHON}" "${MEMKIT_GENERATOR}" "${config}" -o "${MK_OUTPUT_DIR}" ${platform_args}
    # memkit-gen leaves unchanged files alone; touch them so the rule settles
    COMMAND "${CMAKE_COMMAND}" -E touch_nocreate ${outputs}
    DEPENDS "${config}" ${MEMKIT_GENERATOR_SOURCES} "${MEMKIT_GENERATOR}"
    COMMENT "memkit-gen ${MK_CONFIG}"
    VERBATIM)
  add_custom_target(${MK_TARGET}_generate DEPENDS ${outputs})
  set(options "")
  if(MK_FAULT_INJECTION)
    list(APPEND options FAULT_INJECTION)
  endif()
  if(MK_VALGRIND)
    list(APPEND options VALGRIND)
  endif()
  if(MK_NO_STDIO)
    list(APPEND options NO_STDIO)
  endif()
  if(MK_OS)
    list(APPEND options OS ${MK_OS})
  endif()
  if(MK_OS_SOURCES)
    list(APPEND options OS_SOURCES ${MK_OS_SOURCES})
  endif()
  memkit_add_runtime(TARGET ${MK_TARGET} GENERATED_DIR "${MK_OUTPUT_DIR}" ${options})
  add_dependencies(${MK_TARGET} ${MK_TARGET}_generate)
endfunction()
