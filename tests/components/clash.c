/* A component built against a second config WITHOUT a prefix
 * (tests/configs/policies.toml), linked into a program whose first component
 * uses tests/configs/basic.toml: its mk_init reaches the first runtime and
 * must be refused (MK_EABI), not run against the wrong tables. */
#include <memkit/memkit.h>

#include "components.h"

int clash_start(void)
{
    return (int)mk_init(&mkg_config);
}
