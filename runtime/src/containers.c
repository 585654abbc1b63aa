/* containers.c — containers in the frame arena. */
#include "internal.h"

