/* memkit/handles.h — generational handles, deferred frees and cross-thread transfer.
 * Included by memkit.h. */
#ifndef MEMKIT_HANDLES_H
#define MEMKIT_HANDLES_H

#endif /* MEMKIT_HANDLES_H */
