/* vulkan_device.c — see vulkan_device.h. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include "vulkan_device.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef VULKAN_DEVICE_LAVAPIPE_ICD /* CMake passes the one it found */
#define VULKAN_DEVICE_LAVAPIPE_ICD "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json"
#endif

#define MAX_QUEUE_FAMILIES 64u

static void say(char *why, size_t why_size, const char *format, ...)
{
    if (why == NULL || why_size == 0u)
        return;
    va_list args;
    va_start(args, format);
    vsnprintf(why, why_size, format, args);
    va_end(args);
}

static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                 VkDebugUtilsMessageTypeFlagsEXT types,
                                                 const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
    (void)types;
    vulkan_device_t *dev = user;
    const char *text = data != NULL && data->pMessage != NULL ? data->pMessage : "(no message)";
    const char *id = data != NULL && data->pMessageIdName != NULL ? data->pMessageIdName : "-";
    if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
        atomic_fetch_add(&dev->errors, 1ul);
        fprintf(stderr, "VULKAN ERROR [%s]: %s\n", id, text);
    } else if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
        atomic_fetch_add(&dev->warnings, 1ul);
        fprintf(stderr, "vulkan warning [%s]: %s\n", id, text);
    }
    return VK_FALSE; /* never abort the call: the count is the verdict */
}

static void choose_driver(vulkan_device_t *dev, bool prefer_lavapipe)
{
    if (getenv("VK_ICD_FILENAMES") != NULL || getenv("VK_DRIVER_FILES") != NULL) {
        snprintf(dev->driver, sizeof dev->driver, "from the environment (VK_ICD_FILENAMES / VK_DRIVER_FILES)");
        return;
    }
    FILE *f = prefer_lavapipe ? fopen(VULKAN_DEVICE_LAVAPIPE_ICD, "r") : NULL;
    if (f == NULL) {
        snprintf(dev->driver, sizeof dev->driver, "whatever the loader finds");
        return;
    }
    fclose(f);
    /* before the loader is loaded: it reads the variable when it scans for drivers */
    setenv("VK_ICD_FILENAMES", VULKAN_DEVICE_LAVAPIPE_ICD, 1);
    snprintf(dev->driver, sizeof dev->driver, "lavapipe (%s)", VULKAN_DEVICE_LAVAPIPE_ICD);
}

/* The loader's entry point. dlsym returns an object pointer; ISO C has no cast
 * from it to a function pointer, POSIX guarantees the representation: copy it. */
static PFN_vkGetInstanceProcAddr load_loader(void **library)
{
    static const char *const names[] = {"libvulkan.so.1", "libvulkan.so"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        void *lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (lib == NULL)
            continue;
        void *symbol = dlsym(lib, "vkGetInstanceProcAddr");
        PFN_vkGetInstanceProcAddr gipa = NULL;
        _Static_assert(sizeof gipa == sizeof symbol, "function and object pointers differ in size");
        memcpy(&gipa, &symbol, sizeof gipa);
        if (gipa != NULL) {
            *library = lib;
            return gipa;
        }
        dlclose(lib);
    }
    return NULL;
}

static bool has_layer(PFN_vkEnumerateInstanceLayerProperties enumerate, const char *name)
{
    uint32_t count = 0;
    if (enumerate == NULL || enumerate(&count, NULL) != VK_SUCCESS || count == 0u)
        return false;
    VkLayerProperties *layers = calloc(count, sizeof *layers);
    bool found = false;
    if (layers != NULL && enumerate(&count, layers) == VK_SUCCESS)
        for (uint32_t i = 0; i < count && !found; i++)
            found = strcmp(layers[i].layerName, name) == 0;
    free(layers);
    return found;
}

static bool has_instance_extension(PFN_vkEnumerateInstanceExtensionProperties enumerate, const char *layer,
                                   const char *name)
{
    uint32_t count = 0;
    if (enumerate == NULL || enumerate(layer, &count, NULL) != VK_SUCCESS || count == 0u)
        return false;
    VkExtensionProperties *exts = calloc(count, sizeof *exts);
    bool found = false;
    if (exts != NULL && enumerate(layer, &count, exts) == VK_SUCCESS)
        for (uint32_t i = 0; i < count && !found; i++)
            found = strcmp(exts[i].extensionName, name) == 0;
    free(exts);
    return found;
}

static bool has_device_extension(PFN_vkEnumerateDeviceExtensionProperties enumerate, VkPhysicalDevice gpu,
                                 const char *name)
{
    uint32_t count = 0;
    if (enumerate == NULL || enumerate(gpu, NULL, &count, NULL) != VK_SUCCESS || count == 0u)
        return false;
    VkExtensionProperties *exts = calloc(count, sizeof *exts);
    bool found = false;
    if (exts != NULL && enumerate(gpu, NULL, &count, exts) == VK_SUCCESS)
        for (uint32_t i = 0; i < count && !found; i++)
            found = strcmp(exts[i].extensionName, name) == 0;
    free(exts);
    return found;
}

/* The first queue family that can transfer (graphics and compute imply it), or UINT32_MAX. */
static uint32_t transfer_family(PFN_vkGetPhysicalDeviceQueueFamilyProperties get, VkPhysicalDevice gpu)
{
    VkQueueFamilyProperties families[MAX_QUEUE_FAMILIES];
    uint32_t count = MAX_QUEUE_FAMILIES;
    get(gpu, &count, families);
    for (uint32_t i = 0; i < count; i++)
        if (families[i].queueCount > 0u &&
            (families[i].queueFlags & (VK_QUEUE_TRANSFER_BIT | VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT)) != 0u)
            return i;
    return UINT32_MAX;
}

/* Creates the instance with as much validation as asked and installed. */
static VkResult create_instance(vulkan_device_t *dev, const vulkan_device_options_t *options)
{
    PFN_vkGetInstanceProcAddr gipa = dev->get_instance_proc_addr;
    PFN_vkEnumerateInstanceLayerProperties enumerate_layers =
        (PFN_vkEnumerateInstanceLayerProperties)gipa(VK_NULL_HANDLE, "vkEnumerateInstanceLayerProperties");
    PFN_vkEnumerateInstanceExtensionProperties enumerate_extensions =
        (PFN_vkEnumerateInstanceExtensionProperties)gipa(VK_NULL_HANDLE, "vkEnumerateInstanceExtensionProperties");
    PFN_vkCreateInstance create = (PFN_vkCreateInstance)gipa(VK_NULL_HANDLE, "vkCreateInstance");
    if (create == NULL)
        return VK_ERROR_INITIALIZATION_FAILED;

    const char *validation = "VK_LAYER_KHRONOS_validation";
    bool layer = options->validation && has_layer(enumerate_layers, validation);
    bool debug_utils = options->validation &&
                       (has_instance_extension(enumerate_extensions, NULL, VK_EXT_DEBUG_UTILS_EXTENSION_NAME) ||
                        (layer && has_instance_extension(enumerate_extensions, validation,
                                                         VK_EXT_DEBUG_UTILS_EXTENSION_NAME)));
    bool features =
        layer && has_instance_extension(enumerate_extensions, validation, VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);

    const char *extensions[2];
    uint32_t extension_count = 0;
    if (debug_utils)
        extensions[extension_count++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
    if (features)
        extensions[extension_count++] = VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME;

    VkDebugUtilsMessengerCreateInfoEXT messenger_info;
    memset(&messenger_info, 0, sizeof messenger_info);
    messenger_info.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT;
    messenger_info.messageSeverity =
        VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    messenger_info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                                 VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                                 VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    messenger_info.pfnUserCallback = on_message;
    messenger_info.pUserData = dev;

    VkValidationFeatureEnableEXT enables[] = {VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
    VkValidationFeaturesEXT validation_features;
    memset(&validation_features, 0, sizeof validation_features);
    validation_features.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT;
    validation_features.enabledValidationFeatureCount = 1;
    validation_features.pEnabledValidationFeatures = enables;

    const void *chain = NULL;
    if (features) {
        validation_features.pNext = chain;
        chain = &validation_features;
    }
    if (debug_utils) { /* a messenger for vkCreateInstance and vkDestroyInstance themselves */
        messenger_info.pNext = chain;
        chain = &messenger_info;
    }

    VkApplicationInfo app;
    memset(&app, 0, sizeof app);
    app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
    app.pApplicationName = options->application_name != NULL ? options->application_name : "memkit";
    app.pEngineName = "memkit";
    app.apiVersion = VK_API_VERSION_1_1; /* vkGetPhysicalDeviceMemoryProperties2 for VK_EXT_memory_budget */
    VkInstanceCreateInfo info;
    memset(&info, 0, sizeof info);
    info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
    info.pNext = chain;
    info.pApplicationInfo = &app;
    info.enabledLayerCount = layer ? 1u : 0u;
    info.ppEnabledLayerNames = &validation;
    info.enabledExtensionCount = extension_count;
    info.ppEnabledExtensionNames = extensions;
    VkResult r = create(&info, NULL, &dev->instance);
    if (r != VK_SUCCESS) {
        dev->instance = VK_NULL_HANDLE;
        return r;
    }
    dev->validation_layer = layer;
    dev->synchronization_validation = features;
    dev->destroy_instance = (PFN_vkDestroyInstance)gipa(dev->instance, "vkDestroyInstance");
    if (debug_utils) {
        PFN_vkCreateDebugUtilsMessengerEXT create_messenger =
            (PFN_vkCreateDebugUtilsMessengerEXT)gipa(dev->instance, "vkCreateDebugUtilsMessengerEXT");
        dev->destroy_messenger =
            (PFN_vkDestroyDebugUtilsMessengerEXT)gipa(dev->instance, "vkDestroyDebugUtilsMessengerEXT");
        messenger_info.pNext = NULL;
        if (create_messenger != NULL && dev->destroy_messenger != NULL &&
            create_messenger(dev->instance, &messenger_info, NULL, &dev->debug_messenger) == VK_SUCCESS)
            dev->messenger = true;
        else
            dev->debug_messenger = VK_NULL_HANDLE;
    }
    return VK_SUCCESS;
}

vulkan_device_status_t vulkan_device_open(vulkan_device_t *dev, const vulkan_device_options_t *options, char *why,
                                          size_t why_size)
{
    memset(dev, 0, sizeof *dev);
    atomic_init(&dev->errors, 0ul);
    atomic_init(&dev->warnings, 0ul);
    vulkan_device_options_t none;
    memset(&none, 0, sizeof none);
    if (options == NULL)
        options = &none;
    dev->validation_requested = options->validation;
    say(why, why_size, "no error");

    choose_driver(dev, options->prefer_lavapipe);
    if (!options->quiet)
        printf("vulkan driver: %s\n", dev->driver);
    dev->get_instance_proc_addr = load_loader(&dev->library);
    if (dev->get_instance_proc_addr == NULL) {
        say(why, why_size, "the Vulkan loader (libvulkan.so.1) cannot be loaded: %s", dlerror());
        return VULKAN_DEVICE_NO_DRIVER;
    }
    PFN_vkGetInstanceProcAddr gipa = dev->get_instance_proc_addr;

    VkResult r = create_instance(dev, options);
    if (r != VK_SUCCESS) {
        vulkan_device_close(dev);
        say(why, why_size, "vkCreateInstance: %s (%d)",
            r == VK_ERROR_INCOMPATIBLE_DRIVER ? "VK_ERROR_INCOMPATIBLE_DRIVER, no driver" : "failed", (int)r);
        return r == VK_ERROR_INCOMPATIBLE_DRIVER ? VULKAN_DEVICE_NO_DRIVER : VULKAN_DEVICE_FAILED;
    }

    PFN_vkEnumeratePhysicalDevices enumerate_devices =
        (PFN_vkEnumeratePhysicalDevices)gipa(dev->instance, "vkEnumeratePhysicalDevices");
    PFN_vkGetPhysicalDeviceProperties get_properties =
        (PFN_vkGetPhysicalDeviceProperties)gipa(dev->instance, "vkGetPhysicalDeviceProperties");
    PFN_vkGetPhysicalDeviceQueueFamilyProperties get_families =
        (PFN_vkGetPhysicalDeviceQueueFamilyProperties)gipa(dev->instance, "vkGetPhysicalDeviceQueueFamilyProperties");
    PFN_vkEnumerateDeviceExtensionProperties enumerate_device_extensions =
        (PFN_vkEnumerateDeviceExtensionProperties)gipa(dev->instance, "vkEnumerateDeviceExtensionProperties");
    PFN_vkCreateDevice create_device = (PFN_vkCreateDevice)gipa(dev->instance, "vkCreateDevice");
    PFN_vkGetDeviceProcAddr get_device_proc_addr =
        (PFN_vkGetDeviceProcAddr)gipa(dev->instance, "vkGetDeviceProcAddr");
    if (enumerate_devices == NULL || get_properties == NULL || get_families == NULL || create_device == NULL ||
        get_device_proc_addr == NULL || dev->destroy_instance == NULL) {
        vulkan_device_close(dev);
        say(why, why_size, "the loader lacks a Vulkan 1.0 instance function");
        return VULKAN_DEVICE_FAILED;
    }

    uint32_t gpu_count = 1;
    r = enumerate_devices(dev->instance, &gpu_count, &dev->physical_device);
    if ((r != VK_SUCCESS && r != VK_INCOMPLETE) || gpu_count == 0u) {
        vulkan_device_close(dev);
        say(why, why_size, "vkEnumeratePhysicalDevices: no physical device (%d)", (int)r);
        return VULKAN_DEVICE_NO_DRIVER;
    }
    get_properties(dev->physical_device, &dev->properties);
    if (!options->quiet)
        printf("vulkan device: %s (Vulkan %u.%u.%u)\n", dev->properties.deviceName,
               VK_API_VERSION_MAJOR(dev->properties.apiVersion), VK_API_VERSION_MINOR(dev->properties.apiVersion),
               VK_API_VERSION_PATCH(dev->properties.apiVersion));
    dev->queue_family_index = transfer_family(get_families, dev->physical_device);
    if (dev->queue_family_index == UINT32_MAX) {
        vulkan_device_close(dev);
        say(why, why_size, "%s has no queue family that can transfer", dev->properties.deviceName);
        return VULKAN_DEVICE_FAILED;
    }

    /* the budget extension reports through vkGetPhysicalDeviceMemoryProperties2 (1.1) */
    dev->memory_budget = dev->properties.apiVersion >= VK_API_VERSION_1_1 &&
                         has_device_extension(enumerate_device_extensions, dev->physical_device,
                                              VK_EXT_MEMORY_BUDGET_EXTENSION_NAME);
    const char *device_extensions[] = {VK_EXT_MEMORY_BUDGET_EXTENSION_NAME};
    float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info;
    memset(&queue_info, 0, sizeof queue_info);
    queue_info.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
    queue_info.queueFamilyIndex = dev->queue_family_index;
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;
    VkDeviceCreateInfo device_info;
    memset(&device_info, 0, sizeof device_info);
    device_info.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
    device_info.queueCreateInfoCount = 1;
    device_info.pQueueCreateInfos = &queue_info;
    device_info.enabledExtensionCount = dev->memory_budget ? 1u : 0u;
    device_info.ppEnabledExtensionNames = device_extensions;
    r = create_device(dev->physical_device, &device_info, NULL, &dev->device);
    if (r != VK_SUCCESS) {
        dev->device = VK_NULL_HANDLE;
        vulkan_device_close(dev);
        say(why, why_size, "vkCreateDevice: %d", (int)r);
        return VULKAN_DEVICE_FAILED;
    }
    dev->destroy_device = (PFN_vkDestroyDevice)get_device_proc_addr(dev->device, "vkDestroyDevice");
    dev->device_wait_idle = (PFN_vkDeviceWaitIdle)get_device_proc_addr(dev->device, "vkDeviceWaitIdle");
    PFN_vkGetDeviceQueue get_queue = (PFN_vkGetDeviceQueue)get_device_proc_addr(dev->device, "vkGetDeviceQueue");
    if (dev->destroy_device == NULL || dev->device_wait_idle == NULL || get_queue == NULL ||
        mk_gpu_vulkan_functions_load(dev->instance, dev->device, gipa, &dev->functions) != MK_GPU_OK) {
        vulkan_device_close(dev);
        say(why, why_size, "a device function the backend needs is missing");
        return VULKAN_DEVICE_FAILED;
    }
    get_queue(dev->device, dev->queue_family_index, 0, &dev->queue);
    return VULKAN_DEVICE_OK;
}

mk_gpu_vulkan_config_t vulkan_device_backend_config(const vulkan_device_t *dev)
{
    mk_gpu_vulkan_config_t config;
    memset(&config, 0, sizeof config);
    config.instance = dev->instance;
    config.physical_device = dev->physical_device;
    config.device = dev->device;
    config.queue = dev->queue;
    config.queue_family_index = dev->queue_family_index;
    config.functions = &dev->functions;
    config.memory_budget = dev->memory_budget;
    return config;
}

const char *vulkan_device_validation_summary(const vulkan_device_t *dev)
{
    if (!dev->validation_layer)
        return "off";
    if (!dev->messenger)
        return "on, no messenger (messages are not counted)";
    return dev->synchronization_validation ? "on, synchronization validation on"
                                           : "on, without synchronization validation";
}

void vulkan_device_close(vulkan_device_t *dev)
{
    if (dev == NULL)
        return;
    if (dev->device != VK_NULL_HANDLE) {
        if (dev->device_wait_idle != NULL)
            (void)dev->device_wait_idle(dev->device);
        if (dev->destroy_device != NULL) /* the layer reports the objects left on it */
            dev->destroy_device(dev->device, NULL);
        dev->device = VK_NULL_HANDLE;
        dev->queue = VK_NULL_HANDLE;
    }
    if (dev->debug_messenger != VK_NULL_HANDLE) {
        dev->destroy_messenger(dev->instance, dev->debug_messenger, NULL);
        dev->debug_messenger = VK_NULL_HANDLE;
    }
    if (dev->instance != VK_NULL_HANDLE) {
        if (dev->destroy_instance != NULL)
            dev->destroy_instance(dev->instance, NULL);
        dev->instance = VK_NULL_HANDLE;
        dev->physical_device = VK_NULL_HANDLE;
    }
    if (dev->library != NULL) {
        dlclose(dev->library);
        dev->library = NULL;
    }
    dev->get_instance_proc_addr = NULL;
    memset(&dev->functions, 0, sizeof dev->functions);
}
