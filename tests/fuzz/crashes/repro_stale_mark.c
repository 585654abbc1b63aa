/* A stale mark is accepted by mk_frame_rewind, and its saved spill-chain head
 * (freed by the earlier rewind) becomes the slot's chain head: the next release
 * of the slot frees whatever block now lives there. */
#include <memkit/memkit.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    mk_init(&mkg_config);
    mk_alloc(MK_INTENT_FR_FAIL, 16384);                     /* fills the arena */
    mk_frame_mark_t a = mk_frame_mark();
    void *s1 = mk_alloc(MK_INTENT_FR_FAIL, 1000);           /* spilled to the heap */
    mk_frame_mark_t b = mk_frame_mark();                    /* b.spill = s1 */
    printf("rewind a: %s\n", mk_status_str(mk_frame_rewind(&a)));   /* frees s1: b is stale */
    void *h = mk_alloc(MK_INTENT_HP_FAIL, 1000);            /* a heap block where s1 was */
    memset(h, 0x5a, 1000);
    mk_alloc(MK_INTENT_FR_FAIL, 3000);                      /* spilled again */
    printf("s1=%p h=%p\n", s1, h);
    printf("rewind b (stale): %s (documented: MK_EINVAL)\n", mk_status_str(mk_frame_rewind(&b)));
    mk_begin_frame(); mk_begin_frame();
    mk_alloc(MK_INTENT_FR_FAIL, 16);                        /* releases the slot: frees h */
    void *h2 = mk_alloc(MK_INTENT_HP_FAIL, 1000);
    printf("h2=%p (h is live: %s)\n", h2, h2 == h ? "SAME BLOCK HANDED OUT TWICE" : "ok");
    printf("validate: %s\n", mk_status_str(mk_validate()));
    mk_free(h);
    printf("validate after freeing h: %s\n", mk_status_str(mk_validate()));
    mk_shutdown();
}
