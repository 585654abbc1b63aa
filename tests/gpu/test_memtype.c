/* test_memtype.c — memory type choice on simulated GPUs: a discrete GPU (with
 * and without a host-visible window into device memory), an integrated (UMA)
 * GPU and lavapipe's single unified type, for the four kinds of heap the
 * generator's model describes (device_local, upload, readback, unified). */
#include "wants.h"

#include <stdio.h>

static int failures;

#define EXPECT_TYPE(types, bits, want, expected)                                                                    \
    do {                                                                                                        \
        int got_ = mk__gpu_memory_type((types), (uint32_t)(sizeof(types) / sizeof((types)[0])), (bits), (want),    \
                                       NULL);                                                                   \
        if (got_ != (expected)) {                                                                               \
            fprintf(stderr, "%s:%d: %s for %s: type %d, expected %d\n", __FILE__, __LINE__, #want, #types, got_, \
                    (expected));                                                                                \
            failures++;                                                                                         \
        }                                                                                                       \
    } while (0)



#define ALL 0xFFFFFFFFu

int main(void)
{
    /* a discrete GPU with a 256 MiB host-visible window into VRAM (ReBAR off: type 3 small) */
    static const uint32_t discrete[] = {DL, HV | HC, HV | HC | CACHED, DL | HV | HC};
    EXPECT_TYPE(discrete, ALL, device_local, 0);
    EXPECT_TYPE(discrete, ALL, upload, 1);
    EXPECT_TYPE(discrete, ALL, readback, 2);
    EXPECT_TYPE(discrete, ALL, unified, 3);
    EXPECT_TYPE(discrete, ALL & ~1u, device_local, 3); /* the resource cannot live in type 0 */
    /* a discrete GPU without that window, whose cached memory is not coherent */
    static const uint32_t discrete_plain[] = {DL, HV | HC, HV | CACHED};
    EXPECT_TYPE(discrete_plain, ALL, unified, 1); /* DL missing everywhere: coherent wins */
    EXPECT_TYPE(discrete_plain, ALL, readback, 2);
    EXPECT_TYPE(discrete_plain, 1u, upload, -1); /* only type 0 allowed, which is not host-visible */
    /* an integrated (UMA) GPU: everything is device-local */
    static const uint32_t uma[] = {DL, DL | HV | HC, DL | HV | HC | CACHED};
    EXPECT_TYPE(uma, ALL, device_local, 0);
    EXPECT_TYPE(uma, ALL, upload, 1);
    EXPECT_TYPE(uma, ALL, readback, 2);
    EXPECT_TYPE(uma, ALL, unified, 1);
    /* lavapipe: one type with every flag */
    static const uint32_t lavapipe[] = {DL | HV | HC | CACHED};
    EXPECT_TYPE(lavapipe, ALL, device_local, 0);
    EXPECT_TYPE(lavapipe, ALL, upload, 0);
    EXPECT_TYPE(lavapipe, ALL, readback, 0);
    EXPECT_TYPE(lavapipe, ALL, unified, 0);
    EXPECT_TYPE(lavapipe, 0u, unified, -1);
    /* the cost is what was missed: lavapipe's type has DL and HV, device_local dislikes HV */
    uint32_t cost = 0;
    mk__gpu_memory_type(lavapipe, 1, ALL, device_local, &cost);
    if (cost != 1) {
        fprintf(stderr, "lavapipe device_local cost %u, expected 1\n", cost);
        failures++;
    }
    printf("test_memtype: %s\n", failures == 0 ? "ok" : "FAILED");
    return failures == 0 ? 0 : 1;
}
