"""memkit-gen: turns a memkit.toml into the C tables the memkit runtime reads."""

VERSION = "0.1.0"

# The runtime ABI the generated code is written for: it must equal
# MK_RUNTIME_ABI in runtime/include/memkit/config.h (a test checks).
RUNTIME_ABI = 8
