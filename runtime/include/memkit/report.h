/* memkit/report.h — diagnostics reports: the stable MLnnn codes of
 * docs/diagnostics.md, their severities, and the hook that receives them.
 * Included by memkit.h.
 *
 * The API exists in every build. Release builds report only ML502 (an intent
 * scope that could not be pushed, whose allocations go to the enclosing
 * intent); sentinel builds (MK_SENTINEL=1, see README "Sentinel mode") report
 * the ML1xx-ML5xx hazards they find. Handler and actions are process-wide and
 * survive mk_init / mk_shutdown, so they may be set before mk_init.
 */
#include <memkit/memkit.h> /* on its own; memkit.h includes this header at its place */
#ifndef MEMKIT_REPORT_H
#define MEMKIT_REPORT_H

MK__API_BEGIN

typedef enum mk_severity {
    MK_SEVERITY_INFO = 0,
    MK_SEVERITY_WARNING = 1,
    MK_SEVERITY_ERROR = 2
} mk_severity_t;

#define MK_SEVERITY_COUNT 3

/* What the default handler does after printing a report of a severity. */
typedef enum mk_report_action {
    MK_REPORT_CONTINUE = 0, /* go on: memkit skips the offending operation where it can */
    MK_REPORT_ABORT = 1     /* abort() (the default for errors) */
} mk_report_action_t;

/* One report. Every pointer in it is valid only during the handler call. */
typedef struct mk_report {
    const char *code;       /* "ML601": stable, see docs/diagnostics.md */
    mk_severity_t severity; /* fixed per code */
    const char *message;    /* one line, no code or severity, no newline */
    const char *file;       /* where the block concerned was allocated (else the call), or NULL */
    int line;               /* 0 with file NULL */
    int intent;             /* mk_intent_t concerned, or -1 */
    const void *ptr;        /* block or object concerned, or NULL */
} mk_report_t;

/* Receives every report, on the thread that found it, outside memkit's
 * locks: it may call memkit (a report about a block being freed is made
 * before the block is touched). When it returns, the program goes on as with
 * MK_REPORT_CONTINUE. */
typedef void (*mk_report_handler_t)(const mk_report_t *report, void *user);

/* Installs `handler` (NULL restores the default, which prints
 *   memkit: ML601 error: double free of 0x… (intent 'physics', allocated at game.c:42)
 * to stderr and then applies the severity's action). Thread-safe; takes
 * effect for reports made after it returns. O(1). */
void mk_set_report_handler(mk_report_handler_t handler, void *user);

/* Chooses what the default handler does after printing a report of
 * `severity`. Defaults: info and warning continue, error aborts. Returns
 * MK_OK, or MK_EINVAL for an unknown severity or action. Thread-safe. O(1). */
mk_status_t mk_set_report_action(mk_severity_t severity, mk_report_action_t action);

/* "info", "warning" or "error" ("?" otherwise). O(1). Thread-safe. */
const char *mk_severity_name(mk_severity_t severity);

/* Reports made since the process started, per severity (all builds).
 * Thread-safe. */
unsigned long mk_report_count(mk_severity_t severity);

MK__API_END

#endif /* MEMKIT_REPORT_H */
