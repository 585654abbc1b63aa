/* validate.c — mk_validate: integrity checks of every tier. */
#include "internal.h"

