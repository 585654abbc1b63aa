/* memkit/shared.h — shared reference-counted buffers, scratch buffers, groups, integrity checks.
 * Included by memkit.h. */
#ifndef MEMKIT_SHARED_H
#define MEMKIT_SHARED_H

#endif /* MEMKIT_SHARED_H */
