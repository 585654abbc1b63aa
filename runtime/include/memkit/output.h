/* memkit/output.h — where memkit's text goes, with or without stdio.
 * Included by memkit.h.
 *
 * memkit writes text in whole lines through line sinks: the stats table
 * (mk_stats_write), mk_validate's findings (mk_validate_write), the shared
 * buffer dump (mk_shared_dump_write) and its own messages (the default
 * report handler's reports, a panic's reason, mk_init's refusals) through
 * the message sink. The FILE * variants (mk_stats_print, …) are these with a
 * sink that writes to the FILE.
 *
 * Builds with MK_NO_STDIO=1 (CMake: -DMEMKIT_NO_STDIO=ON; bare metal) leave
 * out every FILE * function and pull in neither printf nor FILE: the sinks
 * are the only way out, and the message sink defaults to nowhere.
 */
#include <memkit/memkit.h> /* on its own; memkit.h includes this header at its place */
#ifndef MEMKIT_OUTPUT_H
#define MEMKIT_OUTPUT_H

MK__API_BEGIN

/* Receives one line of text: NUL-terminated, no newline, valid only during
 * the call. Called on the thread that writes, outside memkit's locks. */
typedef void (*mk_line_sink_t)(const char *line, void *user);

/* Where memkit's own messages go: the default report handler's reports
 * (memkit/report.h), a panic's reason and mk_init's refusals. NULL restores
 * the default: stderr, or nowhere in MK_NO_STDIO builds. Process-wide,
 * survives mk_init / mk_shutdown (set it before mk_init to see those).
 * Thread-safe; takes effect for messages that start after it returns. O(1). */
void mk_set_message_sink(mk_line_sink_t sink, void *user);

/* Called with the reason when memkit panics (an on_exhausted = "panic"
 * intent, frame overflow = "panic", a block freed twice, an internal
 * assertion), after the reason went to the message sink. It should not
 * return: reset the device, report and halt, or longjmp out of a test. If it
 * returns, the OS layer ends the program: abort() (posix), or a loop that
 * never returns (none). NULL removes it. Process-wide; thread-safe. O(1). */
typedef void (*mk_panic_handler_t)(const char *reason, void *user);
void mk_set_panic_handler(mk_panic_handler_t handler, void *user);

MK__API_END

#endif /* MEMKIT_OUTPUT_H */
