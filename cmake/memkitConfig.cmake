# find_package(memkit) from a memkit checkout: point memkit_DIR at this folder.
# Provides memkit_generate() and memkit_add_runtime(); see memkit.cmake. An
# installed memkit has its own (memkitConfig.cmake.in, docs/build.md).
get_filename_component(MEMKIT_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
include("${CMAKE_CURRENT_LIST_DIR}/memkit.cmake")
set(memkit_FOUND TRUE)
