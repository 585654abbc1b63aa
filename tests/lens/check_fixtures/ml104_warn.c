/* ML104: a checkpoint that some path leaves the function with, neither rewound nor released. */
#include <memkit/memkit.h>
#include <stdbool.h>

bool try_plan(void);

void early_return(void)
{
    mk_frame_mark_t mark = mk_frame_mark();       /* expect ML104 */
    if (!try_plan())
        return;
    mk_frame_rewind(&mark);
}

void rewound_on_one_branch(bool keep)
{
    mk_frame_mark_t mark = mk_frame_mark();       /* expect ML104 */
    if (!keep)
        mk_frame_rewind(&mark);
}

int break_skips_release(int n)
{
    mk_frame_mark_t mark;
    for (int i = 0; i < n; i++) {
        mark = mk_frame_mark();                   /* expect ML104 */
        if (try_plan())
            break;
        mk_frame_mark_release(&mark);
    }
    return n;
}

int switch_case_returns(int kind)
{
    mk_frame_mark_t mark = mk_frame_mark();       /* expect ML104 */
    switch (kind) {
    case 0:
        mk_frame_rewind(&mark);
        break;
    case 1:
        return -1;
    default:
        mk_frame_mark_release(&mark);
        break;
    }
    return 0;
}
