/* vulkan_harness.h — the device of the GPU tests that run on a real Vulkan
 * driver (test_backend_vulkan.c, test_gpu_tier_vulkan.c), through
 * examples/vulkan_device.h, and their shared rules:
 *   - lavapipe unless VK_ICD_FILENAMES or VK_DRIVER_FILES names a driver;
 *   - no driver: a loud SKIP and exit 77 (ctest's SKIP_RETURN_CODE);
 *   - VK_LAYER_KHRONOS_validation with synchronization validation and a
 *     messenger counting errors; a missing layer is a failure unless
 *     MK_ALLOW_NO_VALIDATION=1, a layer without the messenger or without
 *     synchronization validation always is;
 *   - at the end, zero validation errors is an assertion (vkDestroyDevice and
 *     vkDestroyInstance included: objects left alive are errors).
 * Include after the test's CHECK harness (unit_check.h or runtime/check.h). */
#ifndef MEMKIT_TESTS_GPU_VULKAN_HARNESS_H
#define MEMKIT_TESTS_GPU_VULKAN_HARNESS_H

#include "vulkan_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void vulkan_harness_skip(const char *why)
{
    fprintf(stderr, "\n**********************************************************************\n"
                    "*** SKIP: no Vulkan driver (install mesa-vulkan-drivers)\n"
                    "*** %s\n"
                    "**********************************************************************\n\n",
            why);
    exit(77);
}

/* Opens *dev or exits 77; false (a failure counted) when a driver loaded but the device did not come up. */
static bool vulkan_harness_open(vulkan_device_t *dev, const char *name)
{
    setvbuf(stdout, NULL, _IONBF, 0); /* interleaved with the messenger's stderr */
    vulkan_device_options_t options;
    memset(&options, 0, sizeof options);
    options.application_name = name;
    options.validation = true;
    options.prefer_lavapipe = true;
    char why[512];
    vulkan_device_status_t status = vulkan_device_open(dev, &options, why, sizeof why);
    if (status == VULKAN_DEVICE_NO_DRIVER)
        vulkan_harness_skip(why);
    CHECK_EQ(status, VULKAN_DEVICE_OK);
    if (status != VULKAN_DEVICE_OK) {
        fprintf(stderr, "%s: %s\n", name, why);
        return false;
    }
    const char *allow = getenv("MK_ALLOW_NO_VALIDATION");
    bool allow_no_validation = allow != NULL && strcmp(allow, "1") == 0;
    if (!dev->validation_layer) {
        fprintf(stderr, "\n**********************************************************************\n"
                        "*** NO VALIDATION: VK_LAYER_KHRONOS_validation is not installed (vulkan-validationlayers)\n"
                        "*** %s\n"
                        "**********************************************************************\n\n",
                allow_no_validation ? "MK_ALLOW_NO_VALIDATION=1: running unvalidated"
                                    : "counted as a failure; MK_ALLOW_NO_VALIDATION=1 runs unvalidated");
        CHECK(allow_no_validation);
        return true;
    }
    if (!dev->messenger)
        fprintf(stderr, "*** %s missing: validation messages cannot be counted\n", VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    if (!dev->synchronization_validation)
        fprintf(stderr, "*** %s missing: synchronization validation is off\n",
                VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
    CHECK(dev->messenger);
    CHECK(dev->synchronization_validation);
    return true;
}

/* Closes *dev, prints the validation line and asserts zero errors. */
static void vulkan_harness_close(vulkan_device_t *dev)
{
    vulkan_device_close(dev);
    unsigned long errors = atomic_load(&dev->errors), warnings = atomic_load(&dev->warnings);
    printf("validation: %s, %lu errors, %lu warnings\n", vulkan_device_validation_summary(dev), errors, warnings);
    CHECK_EQ(errors, 0);
}

#endif /* MEMKIT_TESTS_GPU_VULKAN_HARNESS_H */
