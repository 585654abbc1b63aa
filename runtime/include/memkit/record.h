/* memkit/record.h — recordings for memkit-lens: statistics as JSON documents.
 * Included by memkit.h.
 *
 * docs/recording.md is the contract of the documents. With `[record] frames =
 * N` in memkit.toml, each mk_end_frame takes one row (the intents', phases',
 * tiers' figures and the diagnostics reported during the frame) into a ring
 * of the last N rows in the generated config's static storage: no
 * allocation, O(intents + phases + pools + threads) per frame.
 * `[record] histogram = true` counts pool requests by size (in the inline
 * fast path: two owner-only counter bumps), and `trace_events = N` keeps the
 * last N allocation and free events (every call goes out of line and takes a
 * lock: a traced program trades speed for the trace). With neither frames
 * nor a trace, mk_record_write_json refuses with MK_ESTATE.
 *
 * Thread-safety: call the writers from the thread that drives the frames
 * (mk_end_frame), or while no frame ends; the figures they read are the same
 * as mk_stats_get's. While the trace is written, other threads' allocations
 * wait for it, and the writing thread's own (a sink that allocates) are
 * skipped and counted.
 */
#include <memkit/memkit.h> /* on its own; memkit.h includes this header at its place */
#ifndef MEMKIT_RECORD_H
#define MEMKIT_RECORD_H

MK__API_BEGIN

/* A snapshot of now ("format": "memkit-snapshot", one row) as JSON lines to
 * `sink`. O(intents + phases + pools + threads). Returns MK_OK, or
 * MK_ESTATE (not initialised; nothing written). */
mk_status_t mk_stats_write_json(mk_line_sink_t sink, void *user);

/* The recording so far ("format": "memkit-recording": the ring's rows,
 * oldest first) as JSON lines to `sink`. O(rows x row size). Returns MK_OK,
 * or MK_ESTATE (not initialised, or neither [record] frames nor
 * trace_events; nothing written). */
mk_status_t mk_record_write_json(mk_line_sink_t sink, void *user);

#if !MK_NO_STDIO
/* The same into the file `path` (created or truncated). Return MK_OK,
 * MK_ESTATE (as above; the file is not touched) or MK_ESYSTEM (the file
 * could not be opened or written). */
mk_status_t mk_record_save(const char *path);
mk_status_t mk_stats_save_json(const char *path);
#endif

MK__API_END

#endif /* MEMKIT_RECORD_H */
