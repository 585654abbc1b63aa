"""Rendering the model to C and writing files deterministically.

The Jinja environment is strict (StrictUndefined) and whitespace-exact; every
C spelling decision is a filter defined here, so templates only loop and print.
Files are written only when their content changes, so build systems and
mtimes stay quiet on a no-op run.
"""
import os
import shlex
import tempfile
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import jinja2

from . import RUNTIME_ABI, VERSION, footprint, limits
from .model import Model
from .runtime_layout import layout_hash

OUTPUTS = ("memkit_config.h", "memkit_config.c")
TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                            "templates")
ROW = 16  # values per line in long array initializers


@dataclass(frozen=True)
class Banner:
    """What every generated file says about where it came from."""
    version: str
    source_name: str     # config basename
    sha256: str
    platform: str        # "" when none
    command: str         # how to regenerate
    footprint: Tuple[str, ...]  # the target and the footprint's totals, a line each


def banner_for(model: Model, config_path: str, out_dir: str, sha256: str, target: Optional[str] = None) -> Banner:
    """The banner; `target` is the --target given (it joins the regenerate command)."""
    name = os.path.basename(config_path)
    try:
        rel = os.path.relpath(os.path.abspath(out_dir), os.path.dirname(os.path.abspath(config_path)))
    except ValueError:  # different drives on Windows
        rel = os.path.basename(os.path.normpath(out_dir))
    rel = rel.replace(os.sep, "/")
    words = ["memkit-gen", name] + (["--platform", model.platform] if model.platform else []) \
        + (["--target", target] if target else []) + ["-o", rel]
    return Banner(VERSION, name, sha256, model.platform, " ".join(shlex.quote(w) for w in words),
                  footprint.banner_lines(footprint.compute(model), model.target))


# -- filters ------------------------------------------------------------------

def c_unsigned(n: int) -> str:
    """An unsigned literal that keeps its value on 32-bit targets: 16 -> '16u'."""
    return f"{n}u" if n <= 0xFFFFFFFF else f"{n}ull"


def c_hex(n: int) -> str:
    """A flags value as a 32-bit unsigned hex literal: 9 -> '0x9u'."""
    return f"0x{n:x}u"


def c_const(name: str, prefix: str) -> str:
    """'heap' | c_const('MK_TIER') -> 'MK_TIER_HEAP'."""
    return f"{prefix}_{name.upper()}"


def c_flags(flags: Sequence[str]) -> str:
    """('MK_ROUTE_ZERO_ON_FREE',) -> 'MK_ROUTE_ZERO_ON_FREE'; () -> '0'."""
    return " | ".join(flags) if flags else "0"


def c_string(text: str) -> str:
    """A C string literal; config names are plain ASCII but file names may not be."""
    out = []
    for ch in text:
        if ch in "\\\"":
            out.append("\\" + ch)
        elif " " <= ch <= "~" and ch != "?":
            out.append(ch)
        else:
            out.extend(f"\\{b:03o}" for b in ch.encode("utf-8"))
    return "\"" + "".join(out) + "\""


def c_comment(text: str) -> str:
    """Text safe inside a /* */ comment."""
    return text.replace("*/", "* /").replace("\n", " ")


def c_array(values: Iterable[str], indent: str = "    ") -> str:
    """Initializer body: '{ a, b }' when short, else rows of ROW values."""
    values = list(values)
    if len(values) <= ROW:
        return "{ " + ", ".join(values) + " }"
    rows = [", ".join(values[i:i + ROW]) for i in range(0, len(values), ROW)]
    return "{\n" + ",\n".join(indent + r for r in rows) + "\n}"


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(c_unsigned=c_unsigned, c_hex=c_hex, c_const=c_const, c_flags=c_flags, c_string=c_string,
                       c_comment=c_comment, c_array=c_array)
    return env


def render(model: Model, banner: Banner) -> Dict[str, str]:
    """File name -> content, for every output."""
    env = make_environment()
    out = {}
    for name in OUTPUTS:
        text = env.get_template(name + ".j2").render(m=model, banner=banner, file_name=name,
                                                     storage_align=max(64, model.alignment),
                                                     runtime_abi=RUNTIME_ABI, limits=limits.LIMITS,
                                                     layout_hash=layout_hash(model))
        out[name] = text.replace("\r\n", "\n")
    return out


def write_if_changed(path: str, content: str) -> bool:
    """Writes UTF-8/LF `content` atomically unless the file already holds it; True when written."""
    data = content.encode("utf-8")
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return False
    except FileNotFoundError:
        pass
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".memkit-gen-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


def output_paths(out_dir: str) -> List[str]:
    return [os.path.join(out_dir, name) for name in OUTPUTS]
