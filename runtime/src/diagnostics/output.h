/* output.h — the runtime's side of memkit/output.h: formatted lines to a
 * sink, the message sink, and panics (output.c). Included by internal.h and
 * by the OS layers. */
#ifndef MEMKIT_OUTPUT_INTERNAL_H
#define MEMKIT_OUTPUT_INTERNAL_H

#include "format.h"

/* A destination for lines: a sink and its user pointer (NULL sink: none). */
typedef struct mk__out {
    mk_line_sink_t sink;
    void *user;
} mk__out_t;

/* The longest line memkit writes; longer ones are cut. */
#define MK__LINE_MAX 512

/* Formats one line (format.h's subset) and hands it to out's sink; nothing
 * when out or its sink is NULL. */
void mk__outf(const mk__out_t *out, const char *format, ...) MK__FORMAT_CHECK(2, 3);

/* A line to the message sink (mk_set_message_sink). */
void mk__message(const char *format, ...) MK__FORMAT_CHECK(1, 2);

/* "memkit: panic: <reason>" to the message sink, then the panic handler,
 * then mk__prim_abort. */
_Noreturn void mk__panic(const char *reason);

#if !MK_NO_STDIO
#include <stdio.h>
/* A line sink whose user pointer is a FILE *: the line and a newline. */
void mk__file_sink(const char *line, void *file);
#endif

#endif /* MEMKIT_OUTPUT_INTERNAL_H */
