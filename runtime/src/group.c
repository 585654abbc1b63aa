/* group.c — allocation groups freed in bulk. */
#include "internal.h"

