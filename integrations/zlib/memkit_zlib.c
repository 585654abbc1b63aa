/* memkit_zlib.c — zalloc/zfree of memkit_zlib.h. */
#include "memkit_zlib.h"
#include "../memkit_adapter.h"

#include <stdint.h>

/* The intent travels as opaque = intent + 1 (never Z_NULL). */
static mk_intent_t mk_zlib_intent(voidpf opaque)
{
    return (mk_intent_t)((uintptr_t)opaque - 1u);
}

voidpf mk_zlib_alloc(voidpf opaque, uInt items, uInt size)
{
    if (size != 0u && (size_t)items > SIZE_MAX / (size_t)size)
        return Z_NULL; /* items * size overflows: zlib reports Z_MEM_ERROR */
    return mk_alloc(mk_zlib_intent(opaque), (size_t)items * (size_t)size);
}

void mk_zlib_free(voidpf opaque, voidpf address)
{
    (void)opaque; /* the block knows its intent */
    mk_free(address);
}

int mk_zlib_use(z_streamp strm, mk_intent_t intent)
{
    if (strm == NULL || !mk_adapter_intent_ok(intent))
        return -1;
    strm->zalloc = mk_zlib_alloc;
    strm->zfree = mk_zlib_free;
    strm->opaque = (voidpf)((uintptr_t)intent + 1u);
    return 0;
}
