#include <memkit/memkit.h>
#include <stdio.h>

struct particle { float x, y, vx, vy; };

int main(void) {
    if (mk_init(&mkg_config) != MK_OK) return 1;
    void *mesh = mk_alloc(MK_INTENT_ASSETS, 1 << 20);                      /* heap: until freed */
    for (int frame = 0; frame < 60; frame++) {
        mk_begin_frame();
        float *contacts = mk_alloc(MK_INTENT_PER_FRAME, 256 * sizeof(float)); /* gone 2 frames later */
        struct particle *p = MK_NEW(MK_INTENT_PARTICLES, struct particle);     /* pool: until freed */
        if (mesh == NULL || contacts == NULL || p == NULL) {
            fprintf(stderr, "memkit: %s\n", mk_status_str(mk_last_error()));
            return 1;
        }
        *p = (struct particle){.vx = 1.0f};
        contacts[0] = p->x + p->vx;
        mk_free(p);          /* any thread may free; no intent or size needed */
        mk_end_frame();
    }
    mk_free(mesh);
    mk_stats_print(stdout);
    mk_shutdown();
    return 0;
}
