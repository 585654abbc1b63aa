/* memkit/lifecycle.h — frame checkpoints, phases, scopes, intent scopes and frame callbacks.
 * Included by memkit.h. */
#ifndef MEMKIT_LIFECYCLE_H
#define MEMKIT_LIFECYCLE_H

#endif /* MEMKIT_LIFECYCLE_H */
