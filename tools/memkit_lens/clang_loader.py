"""Finds libclang's Python bindings (Debian: python3-clang-14 and libclang1-14) for
`memkit-lens check`. The bindings are pure Python: when the running interpreter is not the
system one (a pyenv or venv Python) they are taken from the system's dist-packages."""
import glob
import sys
from typing import Optional, Tuple

SYSTEM_PACKAGES = ("/usr/lib/python3/dist-packages",)
LIBRARY_PATTERNS = ("/usr/lib/llvm-*/lib/libclang-*.so.1", "/usr/lib/llvm-*/lib/libclang.so.1",
                    "/usr/lib/x86_64-linux-gnu/libclang-*.so.1", "/usr/lib/*/libclang-*.so.1")
INSTALL_HINT = "apt-get install python3-clang-14 libclang1-14"


def _import():
    try:
        import clang.cindex as cindex
        return cindex
    except ImportError:
        pass
    for folder in SYSTEM_PACKAGES:
        if folder not in sys.path:
            sys.path.append(folder)   # last: it must not shadow this interpreter's own packages
    try:
        import clang.cindex as cindex
        return cindex
    except ImportError:
        return None


def load() -> Tuple[Optional[object], str]:
    """(clang.cindex with a working library, "") or (None, why not)."""
    cindex = _import()
    if cindex is None:
        return None, f"libclang's Python bindings are not installed ({INSTALL_HINT})"
    try:
        cindex.Index.create()
        return cindex, ""
    except Exception:  # the bindings raise LibclangError or OSError; try the known places
        pass
    for pattern in LIBRARY_PATTERNS:
        for path in sorted(glob.glob(pattern), reverse=True):
            try:
                cindex.Config.loaded = False
                cindex.Config.library_file = None
                cindex.Config.set_library_file(path)
                cindex.Index.create()
                return cindex, ""
            except Exception:
                continue
    return None, f"libclang's shared library was not found ({INSTALL_HINT})"
