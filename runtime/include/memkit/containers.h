/* memkit/containers.h — containers that live in the frame arena: vec, map, str, slice.
 * Included by memkit.h. */
#ifndef MEMKIT_CONTAINERS_H
#define MEMKIT_CONTAINERS_H

#endif /* MEMKIT_CONTAINERS_H */
