/* mk_transfer_init of a region inside a spilled frame block: documented as
 * allowed ("inside one arena slot or one spilled block"); the runtime reads a
 * heap header out of the user's bytes in front of the region. */
#include <memkit/memkit.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    mk_init(&mkg_config);
    mk_alloc(MK_INTENT_FR_FAIL, 16384);                      /* fills the arena */
    unsigned char *s = mk_alloc(MK_INTENT_FR_FAIL, 256);     /* spilled to the heap */
    memset(s, 0xff, 256);
    mk_transfer_t t;
    printf("init at +0: %s\n", mk_status_str(mk_transfer_init(&t, s, 64)));
    mk_status_t st = mk_transfer_init(&t, s + 64, 64);
    printf("init at +64 (0xff bytes before it): %s\n", mk_status_str(st));
    memset(s, 0, 256);
    st = mk_transfer_init(&t, s + 64, 64);
    printf("init at +64 (zero bytes before it): %s kind=%s\n", mk_status_str(st),
           st != MK_OK ? "-" : t.kind == MK_TRANSFER_BLOCK ? "BLOCK" : "FRAME");
    if (st == MK_OK && t.kind == MK_TRANSFER_BLOCK) {
        void *p = mk_transfer_accept(&t);
        mk_free(p);                                          /* the receiver owns a "block" */
        printf("after mk_free of the accepted region: validate %s\n", mk_status_str(mk_validate()));
        mk_validate_report(stdout);
    }
    mk_shutdown();
}
