/* test_prefault.c — prefault = true (tests/configs/prefault.toml): mk_init
 * makes every page of the frame arenas, the pool (with its bitmaps) and the
 * heap resident, so filling them afterwards takes no page fault. Without
 * prefault each first touch of a page of .bss or of a fresh mapping faults,
 * so the count below would be in the hundreds.
 */
#define _DEFAULT_SOURCE
#include "check.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h" /* where each tier's storage is */

/* Sanitizers map their shadow memory lazily: their faults are not memkit's. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SHADOW_FAULTS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define SHADOW_FAULTS 1
#endif
#endif
#ifndef SHADOW_FAULTS
#define SHADOW_FAULTS 0
#endif

static long minor_faults(void)
{
    struct rusage u;
    CHECK(getrusage(RUSAGE_SELF, &u) == 0);
    return u.ru_minflt;
}

static void *blocks[8192];

/* Fills a tier through mk_alloc, writing every block whole; returns how many. */
static int fill(mk_intent_t intent, size_t size)
{
    int n = 0;
    while (n < (int)(sizeof blocks / sizeof blocks[0]) && (blocks[n] = mk_alloc(intent, size)) != NULL) {
        memset(blocks[n], 0x5a, size);
        n++;
    }
    return n;
}

static void release(int n)
{
    for (int i = 0; i < n; i++)
        mk_free(blocks[i]);
}

static void test_filling_every_tier_takes_no_page_fault(void)
{
    /* warm what is not storage: this test's array, this thread's slot, the
     * stats call, the frame */
    memset(blocks, 0, sizeof blocks);
    mk_begin_frame();
    mk_free(mk_alloc(MK_INTENT_OBJECTS, 32));
    mk_free(mk_alloc(MK_INTENT_BLOBS, 100));
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 16) != NULL);
    (void)check_stats();

    long before = minor_faults();
    int frames = fill(MK_INTENT_SCRATCH, 4096);
    int small = fill(MK_INTENT_OBJECTS, 32);
    release(small);
    int large = fill(MK_INTENT_OBJECTS, 64);
    release(large);
    int heap = fill(MK_INTENT_BLOBS, 3000);
    release(heap);
    long faults = minor_faults() - before;

    CHECK(frames >= 60);   /* 256 KiB of 4 KiB: the arena was really filled */
    CHECK(small >= 4000);  /* 128 KiB of 32 B */
    CHECK(large >= 2000);  /* 128 KiB of 64 B */
    CHECK(heap >= 600);    /* 2 MiB of 3000 B (3008 with the front's rounding) */
    /* The storage is 640 pages; a fill may still first touch a page or two
     * of memkit's own code or data (file-backed text faults in lazily, and
     * which pages depends on the layout): those are not the storage's, which
     * test_storage_is_resident_after_init checks page by page. */
    if (!SHADOW_FAULTS)
        CHECK(faults <= 4);
    else
        printf("sanitizer build: %ld page faults (shadow memory) not checked\n", faults);
    mk_end_frame();
    CHECK_EQ(mk_validate(), MK_OK);
}

/* Every page of `bytes` at `mem` is resident (mincore). */
static int resident(const void *mem, size_t bytes)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)mem & ~(uintptr_t)(page - 1u);
    size_t pages = ((uintptr_t)mem + bytes - start + page - 1u) / page;
    static unsigned char vec[4096];
    if (pages > sizeof vec)
        return 0;
    if (mincore((void *)start, pages * page, vec) != 0)
        return 0;
    for (size_t i = 0; i < pages; i++)
        if ((vec[i] & 1u) == 0u)
            return 0;
    return 1;
}

/* What prefault = true promises, page by page, before anything is allocated:
 * mk_init made every page of every tier's storage resident. */
static void test_storage_is_resident_after_init(void)
{
    CHECK(resident(mk__rt.frame_base, mk__frame_total_bytes()));
    CHECK(resident(mk__rt.heap_base, (size_t)MKG_HEAP_BYTES));
    for (unsigned i = 0; i < MKG_POOL_COUNT; i++)
        CHECK(resident((const void *)mk__pools[i].base, (size_t)mk__pools[i].bytes));
}

int main(void)
{
    RUN(test_storage_is_resident_after_init);
    RUN(test_filling_every_tier_takes_no_page_fault);
    return check_finish("test_prefault");
}
