"""memkit-lens map: the to-scale SVG picture of a config's static footprint. The drawing is
memkit_gen.footprint_map's, the one `memkit-gen --map` writes too."""
import os

from memkit_gen import footprint, footprint_map

from .common import LensError, guarded, load_config

HELP = "draw a config's static footprint to scale, as SVG"


def render(m, config_path: str, svg_id: str = "footprint-map") -> str:
    """The map of model `m` (read from `config_path`) as SVG text."""
    return footprint_map.render_svg(footprint.compute(m), m, os.path.basename(config_path), svg_id)


def add_arguments(parser) -> None:
    parser.add_argument("config", metavar="TOML", help="the memkit.toml to draw")
    parser.add_argument("--platform", metavar="NAME", help="apply the config's [platform.NAME] overlay")
    parser.add_argument("-o", "--output", metavar="SVG", required=True, help="the SVG file to write")


@guarded
def run(args) -> int:
    _, m = load_config(args.config, args.platform)
    problem = footprint_map.write(args.output, footprint.compute(m), m, os.path.basename(args.config))
    if problem:
        raise LensError(problem)
    return 0
