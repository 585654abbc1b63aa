/* bench/whole/memkit/memkit.h — with bench/whole first on the include path,
 * `#include <memkit/memkit.h>` reaches the malloc shim instead of memkit
 * (bench/whole/run.sh builds examples/game_loop.c both ways). */
#include "../malloc_memkit.h"
