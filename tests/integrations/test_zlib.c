/* test_zlib.c — zlib on memkit through integrations/zlib (config
 * tests/integrations/zlib.toml): 4 MiB deflated and inflated in 64 KiB chunks
 * come back byte for byte, the streams' blocks are all back after *End, and
 * a budget makes zlib report Z_MEM_ERROR (from deflateInit and from
 * inflate's window) instead of crashing.
 */
#include "integration_check.h"

#include <stdint.h>

#include "memkit_zlib.h"

#define INPUT_BYTES (4u << 20)
#define CHUNK (64u << 10)

/* Text-like input: words from a small vocabulary picked by a random stream,
 * so it compresses, but not to nothing. */
static unsigned char *make_input(void)
{
    static const char *const words[] = {"memory ", "intent ", "pool ", "heap ", "frame ", "budget ", "zlib ",
                                        "deflate ", "window ", "stream\n"};
    unsigned char *buf = malloc(INPUT_BYTES);
    if (buf == NULL)
        return NULL;
    uint64_t s = 0x9e3779b97f4a7c15u;
    size_t n = 0;
    while (n < INPUT_BYTES) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        const char *w = words[s % 10u];
        for (size_t i = 0; w[i] != '\0' && n < INPUT_BYTES; i++)
            buf[n++] = (unsigned char)w[i];
    }
    return buf;
}

/* Deflates in[0..len) chunk by chunk into out (capacity cap); returns the
 * compressed length, or 0 on any zlib error. */
static size_t deflate_chunked(mk_intent_t intent, const unsigned char *in, size_t len, unsigned char *out, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    CHECK_EQ(mk_zlib_use(&zs, intent), 0);
    if (deflateInit(&zs, 6) != Z_OK)
        return 0;
    CHECK(check_intent_stats(intent).current >= 256u << 10); /* window, chains, heads, pending */
    size_t done = 0;
    int rc = Z_OK;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    while (rc == Z_OK) {
        size_t take = len - done < CHUNK ? len - done : CHUNK;
        zs.next_in = (Bytef *)(uintptr_t)(in + done);
        zs.avail_in = (uInt)take;
        done += take;
        rc = deflate(&zs, done == len ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_OK && zs.avail_in != 0u)
            rc = Z_BUF_ERROR; /* out of output room: the test's buffer is too small */
    }
    size_t total = zs.total_out;
    CHECK_EQ(rc, Z_STREAM_END);
    CHECK_EQ(deflateEnd(&zs), Z_OK);
    return rc == Z_STREAM_END ? total : 0;
}

static void test_roundtrip_and_balance(void)
{
    unsigned char *in = make_input(), *packed = malloc(INPUT_BYTES), *back = malloc(INPUT_BYTES);
    CHECK(in != NULL && packed != NULL && back != NULL);
    if (in == NULL || packed == NULL || back == NULL)
        goto out;
    size_t packed_len = deflate_chunked(MK_INTENT_ZLIB, in, INPUT_BYTES, packed, INPUT_BYTES);
    CHECK(packed_len > 0u && packed_len < INPUT_BYTES / 2u);
    CHECK_BALANCED(MK_INTENT_ZLIB);
    CHECK_EQ(check_intent_stats(MK_INTENT_ZLIB).allocations, 5u); /* deflate's five blocks */

    z_stream zs;
    memset(&zs, 0, sizeof zs);
    CHECK_EQ(mk_zlib_use(&zs, MK_INTENT_ZLIB), 0);
    CHECK_EQ(inflateInit(&zs), Z_OK);
    zs.next_in = packed;
    zs.next_out = back;
    int rc = Z_OK;
    size_t fed = 0;
    while (rc == Z_OK) { /* small input and output windows: many calls */
        size_t take = packed_len - fed < CHUNK ? packed_len - fed : CHUNK;
        zs.next_in = packed + fed;
        zs.avail_in = (uInt)take;
        fed += take;
        zs.avail_out = (uInt)(INPUT_BYTES - zs.total_out < CHUNK ? INPUT_BYTES - zs.total_out : CHUNK);
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc == Z_BUF_ERROR && zs.avail_in == 0u && fed < packed_len)
            rc = Z_OK;
        fed -= zs.avail_in; /* unread input is offered again */
    }
    CHECK_EQ(rc, Z_STREAM_END);
    CHECK_EQ(zs.total_out, INPUT_BYTES);
    CHECK(check_intent_stats(MK_INTENT_ZLIB).current > 32u << 10); /* its window */
    CHECK_EQ(inflateEnd(&zs), Z_OK);
    CHECK(memcmp(in, back, INPUT_BYTES) == 0);
    CHECK_BALANCED(MK_INTENT_ZLIB);
    CHECK_EQ(check_intent_stats(MK_INTENT_ZLIB).failures, 0u);
out:
    free(in);
    free(packed);
    free(back);
}

static void test_alloc_and_bad_intents_refused(void)
{
    void *opaque;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    CHECK_EQ(mk_zlib_use(&zs, MK_INTENT_ZLIB), 0);
    opaque = zs.opaque;
    /* uInt * uInt fits a 64-bit size_t: a huge request fails as a request */
    CHECK(mk_zlib_alloc(opaque, 0xffffffffu, 0xffffffffu) == Z_NULL);
    void *p = mk_zlib_alloc(opaque, 10, 100);
    CHECK(p != NULL && mk_owns(p) && mk_usable_size(p) >= 1000u);
    mk_zlib_free(opaque, p);
    CHECK_EQ(mk_zlib_use(NULL, MK_INTENT_ZLIB), -1);
    CHECK_EQ(mk_zlib_use(&zs, (mk_intent_t)MKG_INTENT_COUNT), -1);
    CHECK_EQ(mk_zlib_use(&zs, MK_INTENT_PER_FRAME), -1); /* a frame intent (mk_adapter_intent_ok) */
    CHECK_BALANCED(MK_INTENT_ZLIB);
}

/* The budget: deflateInit fails with Z_MEM_ERROR; an inflate stream starts
 * (7 KiB) and its first inflate() fails with Z_MEM_ERROR (the 32 KiB window). */
static void test_budget_gives_z_mem_error(void)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    CHECK_EQ(mk_zlib_use(&zs, MK_INTENT_ZLIB_TIGHT), 0);
    CHECK_EQ(deflateInit(&zs, 6), Z_MEM_ERROR);
    CHECK_BALANCED(MK_INTENT_ZLIB_TIGHT); /* what deflateInit got, it gave back */

    static const unsigned char text[] = "hello, hello, hello, memkit";
    unsigned char packed[128], back[128];
    uLongf packed_len = sizeof packed;
    CHECK_EQ(compress(packed, &packed_len, text, sizeof text), Z_OK); /* zlib's own allocator */

    memset(&zs, 0, sizeof zs);
    CHECK_EQ(mk_zlib_use(&zs, MK_INTENT_ZLIB_TIGHT), 0);
    CHECK_EQ(inflateInit(&zs), Z_OK);
    zs.next_in = packed;
    zs.avail_in = (uInt)packed_len;
    zs.next_out = back;
    zs.avail_out = 4; /* stops before the end: inflate then keeps a window */
    CHECK_EQ(inflate(&zs, Z_NO_FLUSH), Z_MEM_ERROR);
    CHECK(check_intent_stats(MK_INTENT_ZLIB_TIGHT).failures >= 2u);
    CHECK_EQ(inflateEnd(&zs), Z_OK);
    CHECK_BALANCED(MK_INTENT_ZLIB_TIGHT);
}

int main(void)
{
    RUN(test_roundtrip_and_balance);
    RUN(test_alloc_and_bad_intents_refused);
    RUN(test_budget_gives_z_mem_error);
    return check_finish("zlib");
}
