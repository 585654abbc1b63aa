/* ML104 must not fire: every path rewinds or releases its checkpoint, or hands it on. */
#include <memkit/memkit.h>
#include <stdbool.h>
#include <stdlib.h>

bool try_plan(void);
void finish_later(mk_frame_mark_t *mark);

static mk_frame_mark_t g_level_start;   /* rewound by another function */

void rewind_on_every_path(bool keep)
{
    mk_frame_mark_t mark = mk_frame_mark();
    if (!try_plan()) {
        mk_frame_rewind(&mark);
        return;
    }
    if (keep)
        mk_frame_mark_release(&mark);
    else
        mk_frame_rewind(&mark);
}

int rewind_in_condition(void)
{
    mk_frame_mark_t mark = mk_frame_mark();
    if (mk_frame_rewind(&mark) != MK_OK)
        return -1;
    return 0;
}

void scoped(void)
{
    MK_FRAME_SCOPE();                              /* rewinds when the block exits */
    if (!try_plan())
        return;
}

void handed_on(void)
{
    mk_frame_mark_t mark = mk_frame_mark();
    finish_later(&mark);                           /* its release is the callee's business */
}

void aborts(void)
{
    mk_frame_mark_t mark = mk_frame_mark();
    if (!try_plan())
        abort();
    mk_frame_mark_release(&mark);
}

void per_iteration(int n)
{
    for (int i = 0; i < n; i++) {
        mk_frame_mark_t mark = mk_frame_mark();
        if (try_plan()) {
            mk_frame_mark_release(&mark);
            continue;
        }
        mk_frame_rewind(&mark);
    }
}

int every_case(int kind)
{
    mk_frame_mark_t mark = mk_frame_mark();
    switch (kind) {
    case 0:
        mk_frame_rewind(&mark);
        return 1;
    default:
        mk_frame_mark_release(&mark);
        break;
    }
    return 0;
}

void kept_in_a_global(void)
{
    g_level_start = mk_frame_mark();
}
