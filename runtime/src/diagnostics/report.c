/* report.c — diagnostics reports: the MLnnn catalogue, the report handler
 * and the default handler's per-severity actions.
 *
 * The table below is docs/diagnostics.md's catalogue of runtime codes: a
 * code's severity is fixed here, in one place. The handler and its user
 * pointer are published like the OOM handler (user first, handler with
 * release), so a report that sees a handler sees its user. Compiled in every
 * build; release builds report ML502 (an intent scope nested too deep) and the GPU
 * tier's ML3xx checks (off the fast path: flush, read, upload, frames),
 * sentinel builds every hazard they find.
 */
#include "internal.h"

#include <stdarg.h>

static const struct {
    const char *code;
    mk_severity_t severity;
} mk__diags[MK__DIAG_COUNT] = {
    [MK__ML101] = {"ML101", MK_SEVERITY_WARNING}, [MK__ML102] = {"ML102", MK_SEVERITY_WARNING},
    [MK__ML103] = {"ML103", MK_SEVERITY_ERROR},   [MK__ML104] = {"ML104", MK_SEVERITY_WARNING},
    [MK__ML105] = {"ML105", MK_SEVERITY_WARNING}, [MK__ML106] = {"ML106", MK_SEVERITY_WARNING},
    [MK__ML201] = {"ML201", MK_SEVERITY_ERROR},   [MK__ML202] = {"ML202", MK_SEVERITY_ERROR},
    [MK__ML301] = {"ML301", MK_SEVERITY_ERROR},   [MK__ML302] = {"ML302", MK_SEVERITY_ERROR},
    [MK__ML303] = {"ML303", MK_SEVERITY_ERROR},   [MK__ML304] = {"ML304", MK_SEVERITY_WARNING},
    [MK__ML305] = {"ML305", MK_SEVERITY_WARNING},
    [MK__ML401] = {"ML401", MK_SEVERITY_INFO},    [MK__ML402] = {"ML402", MK_SEVERITY_WARNING},
    [MK__ML403] = {"ML403", MK_SEVERITY_INFO},    [MK__ML501] = {"ML501", MK_SEVERITY_WARNING},
    [MK__ML502] = {"ML502", MK_SEVERITY_WARNING}, [MK__ML601] = {"ML601", MK_SEVERITY_ERROR},
    [MK__ML602] = {"ML602", MK_SEVERITY_ERROR},   [MK__ML603] = {"ML603", MK_SEVERITY_ERROR},
    [MK__ML604] = {"ML604", MK_SEVERITY_ERROR},   [MK__ML605] = {"ML605", MK_SEVERITY_ERROR},
    [MK__ML606] = {"ML606", MK_SEVERITY_ERROR},   [MK__ML607] = {"ML607", MK_SEVERITY_WARNING},
    [MK__ML608] = {"ML608", MK_SEVERITY_WARNING},
};

static MK__ATOMIC(mk_report_handler_t) mk__report_handler;
static MK__ATOMIC(void *) mk__report_user;
static MK__ATOMIC(uint32_t) mk__report_action[MK_SEVERITY_COUNT] = {MK_REPORT_CONTINUE, MK_REPORT_CONTINUE,
                                                                     MK_REPORT_ABORT};
/* statistics shared by every thread: atomic read-modify-writes */
static MK__ATOMIC(unsigned long) mk__report_counts[MK_SEVERITY_COUNT];
/* Reports per code since the last recorded frame (record.c). */
static MK__ATOMIC(uint32_t) mk__report_frame[MK__DIAG_COUNT];

const char *mk__diag_code(unsigned diag)
{
    return diag < MK__DIAG_COUNT ? mk__diags[diag].code : "unknown"; /* (not a code: the catalogue has every one) */
}

void mk__report_frame_counts(uint64_t *words, unsigned slots, bool take)
{
    unsigned n = 0;
    for (unsigned diag = 0; diag < MK__DIAG_COUNT; diag++) {
#if MKG_THREADS
        uint32_t count = take ? atomic_exchange_explicit(&mk__report_frame[diag], 0u, memory_order_relaxed)
                              : atomic_load_explicit(&mk__report_frame[diag], memory_order_relaxed);
#else
        uint32_t count = mk__report_frame[diag];
        if (take)
            mk__report_frame[diag] = 0;
#endif
        if (count != 0u && n < slots)
            words[n++] = (uint64_t)(diag + 1u) << 32 | count;
    }
    for (; n < slots; n++)
        words[n] = 0;
}

const char *mk_severity_name(mk_severity_t severity)
{
    switch (severity) {
    case MK_SEVERITY_INFO: return "info";
    case MK_SEVERITY_WARNING: return "warning";
    case MK_SEVERITY_ERROR: return "error";
    }
    return "?";
}

void mk_set_report_handler(mk_report_handler_t handler, void *user)
{
    MK__STORE(mk__report_user, user);
    MK__STORE_RELEASE(mk__report_handler, handler);
}

mk_status_t mk_set_report_action(mk_severity_t severity, mk_report_action_t action)
{
    if ((unsigned)severity >= MK_SEVERITY_COUNT || (action != MK_REPORT_CONTINUE && action != MK_REPORT_ABORT))
        return MK_EINVAL;
    MK__STORE(mk__report_action[severity], (uint32_t)action);
    return MK_OK;
}

unsigned long mk_report_count(mk_severity_t severity)
{
    return (unsigned)severity < MK_SEVERITY_COUNT ? MK__LOAD(mk__report_counts[severity]) : 0ul;
}

static void mk__report_default(const mk_report_t *report)
{
    mk__message("memkit: %s %s: %s", report->code, mk_severity_name(report->severity), report->message);
    if (MK__LOAD(mk__report_action[report->severity]) == MK_REPORT_ABORT)
        mk__prim_abort();
}

void mk__assert_fail(const char *condition, const char *file, int line)
{
    char message[256];
    mk__format(message, sizeof message, "internal assertion failed: %s (%s:%d)", condition, file, line);
    mk__panic(message);
}

void mk__report(mk__diag_t diag, const void *ptr, int intent, const char *file, int line, const char *format, ...)
{
    char message[384];
    va_list args;
    va_start(args, format);
    mk__vformat(message, sizeof message, format, args);
    va_end(args);
    mk_report_t report = {
        .code = mk__diags[diag].code,
        .severity = mk__diags[diag].severity,
        .message = message,
        .file = file,
        .line = file != NULL ? line : 0,
        .intent = intent,
        .ptr = ptr,
    };
#if MKG_THREADS
    atomic_fetch_add_explicit(&mk__report_counts[report.severity], 1ul, memory_order_relaxed);
    atomic_fetch_add_explicit(&mk__report_frame[diag], 1u, memory_order_relaxed);
#else
    mk__report_counts[report.severity]++;
    mk__report_frame[diag]++;
#endif
    mk_report_handler_t handler = MK__LOAD_ACQUIRE(mk__report_handler);
    if (handler != NULL)
        handler(&report, MK__LOAD(mk__report_user));
    else
        mk__report_default(&report);
}
