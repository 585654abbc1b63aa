/* ML103 must not fire: frame memory used before its frame ends, or allocated again after. */
#include <memkit/memkit.h>
#include <stdio.h>

void print_before_end(int n)
{
    mk_begin_frame();
    char *name = mk_frame_printf(MK_INTENT_SCRATCH, "frame %d", n);
    puts(name);
    mk_end_frame();
}

void new_frame_new_pointer(int n)
{
    mk_begin_frame();
    char *name = mk_frame_printf(MK_INTENT_SCRATCH, "frame %d", n);
    puts(name);
    mk_end_frame();
    mk_begin_frame();
    name = mk_frame_printf(MK_INTENT_SCRATCH, "frame %d", n + 1);
    puts(name);
    mk_end_frame();
}

void heap_outlives_frame(void)
{
    mk_begin_frame();
    int *v = mk_alloc(MK_INTENT_BLOB, 8 * sizeof(int));
    mk_end_frame();
    v[0] = 1;                                     /* heap memory: the frame does not own it */
    mk_free(v);
}

int same_block_next_frame(void)
{
    mk_begin_frame();
    char *first = mk_alloc(MK_INTENT_SCRATCH, 64);
    mk_end_frame();
    mk_begin_frame();
    char *again = mk_alloc(MK_INTENT_SCRATCH, 64);
    int reused = again == first || again == first + 32;   /* addresses only: nothing read */
    mk_end_frame();
    return reused;
}
