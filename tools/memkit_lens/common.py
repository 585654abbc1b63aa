"""What memkit-lens's subcommands share: reading a config with the generator's own stages
(memkit_gen.config and memkit_gen.model, as memkit-gen does), reading a recording, and
reporting a problem as ``memkit-lens: error: ...``."""
import sys
from typing import Optional

from memkit_gen import config, model
from memkit_gen.diagnostics import Diagnostics

from .recording import Recording, RecordingError, load


class LensError(Exception):
    """A problem with the input the user gave; printed without a traceback, exit status 1."""


def load_config(path: str, platform: Optional[str] = None):
    """(source, model) of the config at `path`. Raises LensError when it cannot be read or has
    errors, after printing its diagnostics to stderr as memkit-gen does (warnings alone are
    memkit-gen's business and stay quiet here)."""
    diag = Diagnostics()
    try:
        source = config.load(path, diag)
    except OSError as e:
        raise LensError(f"cannot read {path}: {e.strerror or e}") from None
    built = model.build(source, platform, None) if source is not None else None
    if built is None or diag.errors:
        for line in diag.render(path):
            print(line, file=sys.stderr)
        raise LensError(f"{path} has errors (see above)")
    return source, built


def load_recording(path: str) -> Recording:
    try:
        return load(path)
    except RecordingError as e:
        raise LensError(str(e)) from None


def add_config_arguments(parser, required: bool = True) -> None:
    parser.add_argument("--config", metavar="TOML", required=required, help="the memkit.toml to read")
    parser.add_argument("--platform", metavar="NAME", help="apply the config's [platform.NAME] overlay")


def guarded(run):
    """Wraps a subcommand's run(args): a LensError is printed and exits 1."""
    def wrapper(args) -> int:
        try:
            return run(args)
        except LensError as e:
            print(f"memkit-lens: error: {e}", file=sys.stderr)
            return 1
    wrapper.__doc__ = run.__doc__
    return wrapper
