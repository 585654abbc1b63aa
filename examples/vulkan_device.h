/* vulkan_device.h — a Vulkan device for programs that have no renderer of
 * their own (memkit's GPU tests, the benchmarks, the demo): just enough to
 * hand the GPU tier's Vulkan backend (gpu/src/backend_vulkan.h) an instance,
 * a device, a queue that can copy, and the function table.
 *
 * What vulkan_device_open does, in order:
 *   - picks the driver: when the options prefer lavapipe (Mesa's software
 *     device) and the environment names none (VK_ICD_FILENAMES,
 *     VK_DRIVER_FILES), points VK_ICD_FILENAMES at lavapipe's ICD file if it
 *     exists, so every machine runs the same device;
 *   - loads the Vulkan loader with dlopen (libvulkan.so.1) and reaches every
 *     entry point through its vkGetInstanceProcAddr: nothing links libvulkan,
 *     so a program built with the headers still starts, and falls back, on a
 *     machine without the loader;
 *   - creates an instance (Vulkan 1.1), with VK_LAYER_KHRONOS_validation,
 *     synchronization validation and a debug messenger that counts (and
 *     prints) errors and warnings when the options ask for validation and the
 *     layer is installed;
 *   - takes the first physical device and its first queue family that can
 *     transfer (graphics and compute imply it), enables VK_EXT_memory_budget
 *     when the device has it, creates the device and fills the function table.
 *
 * A program without a usable driver gets VULKAN_DEVICE_NO_DRIVER and a reason:
 * tests report SKIP, the demo falls back to the mock GPU.
 *
 * Not thread-safe to open or close; the counters may be read at any time.
 * Needs <vulkan/vulkan.h> (Debian: libvulkan-dev) at build time and dlopen
 * (CMAKE_DL_LIBS) at link time.
 */
#ifndef MEMKIT_EXAMPLES_VULKAN_DEVICE_H
#define MEMKIT_EXAMPLES_VULKAN_DEVICE_H

#include "backend_vulkan.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum vulkan_device_status {
    VULKAN_DEVICE_OK = 0,
    VULKAN_DEVICE_NO_DRIVER, /* no loader, no driver, or no physical device: skip or fall back */
    VULKAN_DEVICE_FAILED,    /* a driver loaded but something after it failed: an error */
} vulkan_device_status_t;

typedef struct vulkan_device_options {
    const char *application_name; /* VkApplicationInfo; NULL: "memkit" */
    bool validation;              /* the validation layer + synchronization validation + messenger, if installed */
    bool prefer_lavapipe;         /* lavapipe when the environment names no driver (above) */
    bool quiet;                   /* print nothing on stdout (the messenger still prints to stderr) */
} vulkan_device_options_t;

/* An open device. Lives where vulkan_device_open put it: the messenger keeps
 * its address, so do not copy or move it while open. */
typedef struct vulkan_device {
    VkInstance instance;
    VkPhysicalDevice physical_device;
    VkPhysicalDeviceProperties properties;
    VkDevice device;
    VkQueue queue;
    uint32_t queue_family_index;
    bool memory_budget;                 /* VK_EXT_memory_budget enabled on the device */
    mk_gpu_vulkan_functions_t functions; /* for mk_gpu_vulkan_config_t.functions */
    PFN_vkGetInstanceProcAddr get_instance_proc_addr;

    /* validation: what was asked and what is on */
    bool validation_requested;
    bool validation_layer;        /* VK_LAYER_KHRONOS_validation enabled */
    bool synchronization_validation; /* VK_EXT_validation_features with SYNCHRONIZATION_VALIDATION */
    bool messenger;               /* VK_EXT_debug_utils messenger counting, from instance creation on */
    atomic_ulong errors;          /* validation (and driver) errors reported so far */
    atomic_ulong warnings;

    char driver[288]; /* "lavapipe (<icd file>)", "from the environment (…)" or "whatever the loader finds" */

    /* private */
    void *library;
    VkDebugUtilsMessengerEXT debug_messenger;
    PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger;
    PFN_vkDestroyInstance destroy_instance;
    PFN_vkDestroyDevice destroy_device;
    PFN_vkDeviceWaitIdle device_wait_idle;
} vulkan_device_t;

/* Opens a device into *dev (zeroed first). On VULKAN_DEVICE_NO_DRIVER or
 * VULKAN_DEVICE_FAILED nothing is left open and `why` (when not NULL) holds
 * a one-line reason. */
vulkan_device_status_t vulkan_device_open(vulkan_device_t *dev, const vulkan_device_options_t *options, char *why,
                                          size_t why_size);

/* The backend configuration over dev (instance, device, queue, functions,
 * memory budget); the caller may change max_pending_batches and the lock. */
mk_gpu_vulkan_config_t vulkan_device_backend_config(const vulkan_device_t *dev);

/* "on, synchronization validation on", "on, without synchronization
 * validation", "on, no messenger" or "off". */
const char *vulkan_device_validation_summary(const vulkan_device_t *dev);

/* Waits for the device to be idle, destroys the device, the messenger and the
 * instance (the validation layer reports Vulkan objects still alive as
 * errors, counted), and unloads the loader. The counters stay readable.
 * dev may be zeroed or already closed. */
void vulkan_device_close(vulkan_device_t *dev);

#endif /* MEMKIT_EXAMPLES_VULKAN_DEVICE_H */
