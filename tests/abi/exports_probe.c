/* exports_probe.c — a shared library that links a memkit runtime whole
 * (tests/abi/check_exports.py reads what it exports): the runtime's public
 * functions must be all it adds to the library's dynamic symbols, and its
 * internal (mk__) ones none. */
#include <memkit/memkit.h>

#if defined(__GNUC__) || defined(__clang__)
#define PROBE_EXPORT __attribute__((visibility("default")))
#else
#define PROBE_EXPORT
#endif

/* The library's own entry point: memkit's inline fast paths reach the
 * runtime's hidden symbols from inside the library. */
PROBE_EXPORT int probe_roundtrip(void)
{
    if (mk_init(&mkg_config) != MK_OK)
        return 1;
    void *p = mk_alloc((mk_intent_t)0, 32);
    mk_free(p);
    return p != NULL && mk_shutdown() == 0u ? 0 : 2;
}
