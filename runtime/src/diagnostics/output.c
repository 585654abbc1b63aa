/* output.c — where memkit's text goes (memkit/output.h): the message sink,
 * the panic handler, and lines formatted for a sink.
 *
 * The sinks and the handler are published like the OOM handler (user
 * pointer first, the function with release), so a caller that sees a new
 * function sees its user pointer. They are process-wide: mk_init and
 * mk_shutdown leave them alone.
 */
#include "internal.h"

static MK__ATOMIC(mk_line_sink_t) mk__message_sink;
static MK__ATOMIC(void *) mk__message_user;
static MK__ATOMIC(mk_panic_handler_t) mk__panic_handler;
static MK__ATOMIC(void *) mk__panic_user;

void mk_set_message_sink(mk_line_sink_t sink, void *user)
{
    MK__STORE(mk__message_user, user);
    MK__STORE_RELEASE(mk__message_sink, sink);
}

void mk_set_panic_handler(mk_panic_handler_t handler, void *user)
{
    MK__STORE(mk__panic_user, user);
    MK__STORE_RELEASE(mk__panic_handler, handler);
}

#if !MK_NO_STDIO
void mk__file_sink(const char *line, void *file)
{
    fputs(line, file);
    fputc('\n', file);
}
#endif

void mk__outf(const mk__out_t *out, const char *format, ...)
{
    if (out == NULL || out->sink == NULL)
        return;
    char line[MK__LINE_MAX];
    va_list args;
    va_start(args, format);
    mk__vformat(line, sizeof line, format, args);
    va_end(args);
    out->sink(line, out->user);
}

void mk__message(const char *format, ...)
{
    char line[MK__LINE_MAX];
    va_list args;
    va_start(args, format);
    mk__vformat(line, sizeof line, format, args);
    va_end(args);
    mk_line_sink_t sink = MK__LOAD_ACQUIRE(mk__message_sink);
    if (sink != NULL) {
        sink(line, MK__LOAD(mk__message_user));
        return;
    }
#if !MK_NO_STDIO
    mk__file_sink(line, stderr);
    fflush(stderr);
#endif
}

_Noreturn void mk__panic(const char *reason)
{
    mk__message("memkit: panic: %s", reason);
    mk_panic_handler_t handler = MK__LOAD_ACQUIRE(mk__panic_handler);
    if (handler != NULL)
        handler(reason, MK__LOAD(mk__panic_user));
    mk__prim_abort();
}
