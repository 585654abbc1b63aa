# memkit_vulkan_device.cmake — for memkit's own programs that drive a Vulkan
# device without a renderer of their own (the GPU tests, the benchmarks, the
# demo): the tier's Vulkan backend plus examples/vulkan_device.c.
#
#   MEMKIT_VULKAN_FOUND          the Vulkan headers were found (Debian: libvulkan-dev)
#   memkit_use_vulkan_device(target)
#       adds MEMKIT_GPU_VULKAN_SOURCES and examples/vulkan_device.c to target,
#       their include directories, and dlopen: the loader is loaded at run
#       time (vulkan_device.h), so nothing links libvulkan and a program
#       without it still starts. lavapipe's ICD file, when installed, is the
#       driver vulkan_device_open prefers.
# Include after cmake/memkit.cmake, in each directory that uses it.

include_guard(DIRECTORY) # its variables are per directory: include it where they are used

find_package(Vulkan QUIET)
set(MEMKIT_VULKAN_FOUND ${Vulkan_FOUND})
if(NOT Vulkan_FOUND)
  # the headers alone are enough (the loader is dlopened)
  find_path(MEMKIT_VULKAN_INCLUDE_DIR vulkan/vulkan.h)
  if(MEMKIT_VULKAN_INCLUDE_DIR)
    set(MEMKIT_VULKAN_FOUND TRUE)
    set(Vulkan_INCLUDE_DIRS "${MEMKIT_VULKAN_INCLUDE_DIR}")
  endif()
endif()
file(GLOB memkit_lavapipe_icds "/usr/share/vulkan/icd.d/lvp_icd.*.json" "/usr/local/share/vulkan/icd.d/lvp_icd.*.json")
set(MEMKIT_LAVAPIPE_ICD "")
if(memkit_lavapipe_icds)
  list(GET memkit_lavapipe_icds 0 MEMKIT_LAVAPIPE_ICD)
endif()

function(memkit_use_vulkan_device target)
  if(NOT MEMKIT_VULKAN_FOUND)
    message(FATAL_ERROR "memkit_use_vulkan_device(${target}): no Vulkan headers (check MEMKIT_VULKAN_FOUND first)")
  endif()
  target_sources(${target} PRIVATE ${MEMKIT_GPU_VULKAN_SOURCES} "${MEMKIT_ROOT}/examples/vulkan_device.c")
  target_include_directories(${target} PRIVATE "${MEMKIT_GPU_BACKEND_INCLUDE_DIR}" "${MEMKIT_ROOT}/gpu/include"
                             "${MEMKIT_ROOT}/examples")
  # SYSTEM: the Vulkan headers' own warnings stay out of -Werror
  target_include_directories(${target} SYSTEM PRIVATE ${Vulkan_INCLUDE_DIRS})
  target_link_libraries(${target} PRIVATE ${CMAKE_DL_LIBS})
  if(MEMKIT_LAVAPIPE_ICD)
    target_compile_definitions(${target} PRIVATE "VULKAN_DEVICE_LAVAPIPE_ICD=\"${MEMKIT_LAVAPIPE_ICD}\"")
  endif()
endfunction()
