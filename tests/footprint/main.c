/* The footprint test's program (tests/footprint/check_footprint.py): mk_init
 * links every CPU tier's objects, as any program that starts memkit does, and
 * mk_validate its checks; a config with GPU heaps links the GPU tier too, as a
 * program that calls it. */
#include <memkit/memkit.h>
#if MKG_GPU_HEAP_COUNT > 0
#include <memkit/gpu.h>
#endif

int main(void)
{
    if (mk_init(&mkg_config) != MK_OK || mk_validate() != MK_OK)
        return 1;
#if MKG_GPU_HEAP_COUNT > 0
    if (mk_gpu_shutdown() != 0) /* the tier is down: nothing to shut */
        return 1;
#endif
    return mk_shutdown() == 0 ? 0 : 1;
}
