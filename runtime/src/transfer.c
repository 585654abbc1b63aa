/* transfer.c — cross-thread transfer of blocks and frame regions. */
#include "internal.h"

