/* ML103: frame memory used after mk_end_frame() in the same function. */
#include <memkit/memkit.h>
#include <stdio.h>

void print_after_end(int n)
{
    mk_begin_frame();
    char *name = mk_frame_printf(MK_INTENT_SCRATCH, "frame %d", n);
    mk_end_frame();
    puts(name);                                   /* expect ML103 */
}

void write_after_end(void)
{
    mk_begin_frame();
    int *v = mk_alloc(MK_INTENT_SCRATCH, 8 * sizeof(int));   /* frame intent: --config */
    v[0] = 1;
    mk_end_frame();
    v[1] = 2;                                     /* expect ML103 */
}

int compare_contents(void)
{
    mk_begin_frame();
    char *first = mk_alloc(MK_INTENT_SCRATCH, 64);
    mk_end_frame();
    return first[0] == 'x';                       /* expect ML103: reads the memory */
}
