/* validate.c — mk_validate: integrity checks of every tier and feature.
 *
 * Each check lives with the structure it knows (pool.c, heap_tier.c,
 * handles.c, shared.c, scratch.c) and takes that structure's lock; this file
 * only runs them all, so that one damaged structure does not hide another.
 */
#include "internal.h"

mk_status_t mk_validate_write(mk_line_sink_t sink, void *user)
{
    if (!mk__rt.initialised)
        return MK_ESTATE;
    const mk__out_t out = {sink, user}, *report = &out;
    bool ok = mk__pool_validate(report);
    ok = mk__heap_tier_validate(report) && ok;
    ok = mk__handles_validate(report) && ok;
    ok = mk__shared_validate(report) && ok;
    ok = mk__scratch_validate(report) && ok;
    ok = mk__async_validate(report) && ok;
#if MK_SENTINEL
    ok = mk__sentinel_validate(report) && ok;
#endif
    return ok ? MK_OK : MK_ECORRUPT;
}

mk_status_t mk_validate(void)
{
    return mk_validate_write(NULL, NULL);
}

#if !MK_NO_STDIO
mk_status_t mk_validate_report(FILE *report)
{
    return mk_validate_write(report != NULL ? mk__file_sink : NULL, report);
}
#endif
