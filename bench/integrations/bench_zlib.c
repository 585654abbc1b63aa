/* bench_zlib.c — 64 messages of 64 KiB (4 MiB), each deflated (level 6) and
 * inflated by a stream of its own, as a server compressing responses does:
 * every message sets up and tears down a deflate stream (about 268 KiB in 5
 * blocks) and an inflate stream (7 KiB + a 32 KiB window), with the streams'
 * zalloc on memkit (integrations/zlib), glibc, mimalloc and jemalloc.
 * bench/integrations/bench_hooks.h runs and prints the rows. */
#define _POSIX_C_SOURCE 200809L
#include <memkit/memkit.h>

#include "bench_hooks.h"
#include "memkit_zlib.h"

#define MESSAGES 64
#define MESSAGE_BYTES (64u << 10)

static unsigned char input[MESSAGES][MESSAGE_BYTES];
static unsigned char packed[MESSAGE_BYTES * 2u], back[MESSAGE_BYTES];

static voidpf peer_zalloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    if (size != 0u && (size_t)items > SIZE_MAX / (size_t)size)
        return Z_NULL;
    return bench_malloc((size_t)items * (size_t)size);
}

static void peer_zfree(voidpf opaque, voidpf p)
{
    (void)opaque;
    bench_free(p);
}

static void use(z_stream *zs)
{
    memset(zs, 0, sizeof *zs);
    if (bench_a.memkit) {
        mk_zlib_use(zs, MK_INTENT_ZLIB);
    } else {
        zs->zalloc = peer_zalloc;
        zs->zfree = peer_zfree;
    }
}

static int install(const bench_alloc_t *a)
{
    (void)a;
    /* text-like messages: words from a small vocabulary */
    static const char *const words[] = {"memory ", "intent ", "pool ", "heap ", "frame ", "budget ", "\n"};
    uint64_t s = 0x2545f4914f6cdd1du;
    for (int m = 0; m < MESSAGES; m++) {
        size_t n = 0;
        while (n < MESSAGE_BYTES) {
            const char *w = words[xorshift64(&s) % 7u];
            for (size_t i = 0; w[i] != '\0' && n < MESSAGE_BYTES; i++)
                input[m][n++] = (unsigned char)w[i];
        }
    }
    return 0;
}

static uint64_t round_once(void)
{
    uint64_t sum = 0;
    for (int m = 0; m < MESSAGES; m++) {
        z_stream zs;
        use(&zs);
        if (deflateInit(&zs, 6) != Z_OK)
            return 0;
        zs.next_in = input[m];
        zs.avail_in = MESSAGE_BYTES;
        zs.next_out = packed;
        zs.avail_out = sizeof packed;
        int rc = deflate(&zs, Z_FINISH);
        size_t packed_len = zs.total_out;
        deflateEnd(&zs);
        if (rc != Z_STREAM_END)
            return 0;
        use(&zs);
        if (inflateInit(&zs) != Z_OK)
            return 0;
        zs.next_in = packed;
        zs.avail_in = (uInt)packed_len;
        zs.next_out = back;
        zs.avail_out = 4096; /* a reader's buffer: inflate keeps its window between calls */
        while ((rc = inflate(&zs, Z_NO_FLUSH)) == Z_OK)
            zs.avail_out = (uInt)(MESSAGE_BYTES - zs.total_out < 4096u ? MESSAGE_BYTES - zs.total_out : 4096u);
        size_t out_len = zs.total_out;
        inflateEnd(&zs);
        if (rc != Z_STREAM_END || out_len != MESSAGE_BYTES || memcmp(back, input[m], MESSAGE_BYTES) != 0)
            return 0;
        sum += packed_len;
    }
    return sum;
}

int main(int argc, char **argv)
{
    static const bench_spec_t spec = {"zlib", "64 x 64 KiB deflate+inflate, a stream each", install, round_once};
    return bench_main(argc, argv, &spec);
}
