"""memkit-gen: turns a memkit.toml into the C tables the memkit runtime reads."""

VERSION = "0.1.0"
