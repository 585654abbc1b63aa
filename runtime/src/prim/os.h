/* os.h — which OS layer (prim.h) the runtime is built with, from the macro
 * MK_OS (CMake: -DMEMKIT_OS=...):
 *
 *   posix  prim_posix.c: Linux, macOS, the BSDs (the default)
 *   none   prim_none.c: bare metal, no threads, no virtual memory
 *   user   the program supplies every function of prim.h (docs/embedded.md)
 *
 * Each prim_*.c compiles to nothing unless it is the one chosen, so builds
 * may compile them all. No includes: prim_posix.c reads this before it sets
 * its feature macros.
 */
#ifndef MEMKIT_PRIM_OS_H
#define MEMKIT_PRIM_OS_H

#define MK__OS_ID_posix 1
#define MK__OS_ID_none 2
#define MK__OS_ID_user 3
#define MK__OS_ID2(os) MK__OS_ID_##os
#define MK__OS_ID(os) MK__OS_ID2(os)

#ifdef MK_OS
#define MK__OS MK__OS_ID(MK_OS)
#else
#define MK__OS MK__OS_ID_posix
#endif

#if MK__OS != MK__OS_ID_posix && MK__OS != MK__OS_ID_none && MK__OS != MK__OS_ID_user
#error "MK_OS names no OS layer: use MK_OS=posix, none or user"
#endif

#define MK__OS_POSIX (MK__OS == MK__OS_ID_posix)
#define MK__OS_NONE (MK__OS == MK__OS_ID_none)
#define MK__OS_USER (MK__OS == MK__OS_ID_user)

#endif /* MEMKIT_PRIM_OS_H */
