"""Parameter counts of gin configs against the paper's, as a markdown table.

Each config's header comment states the paper's count as "Paper: <N>M"
(gin/paper/*.gin, gin/*.gin); configs without one get an empty paper column.

    python tools/count_parameters.py gin/paper/*.gin gin/smmnist_hier.gin ...
    python tools/count_parameters.py gin/bair_hier.gin \\
        --bindings "latent_hierarchy.connectivity = 'chain'"

Builds every model (a few seconds each on a CPU, ~1 GB of memory for the
largest) and prints: config | ours | paper | ours / paper. `--breakdown`
prints instead where each model's parameters are, part by part (the parts
add up to the total: docs/ARCHITECTURE.md's table).
"""

import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import gin  # noqa: E402

from data_prep import command_line  # noqa: E402
from vrnn_tf import cli  # noqa: E402
from vrnn_tf import configurables  # noqa: E402


def define_flags(flag_values):
    define = command_line.FlagDefiner(flag_values)
    define.multi_string("bindings", [], "gin bindings applied after each file.")
    define.bool("breakdown", False, "Where the parameters are, per part, instead of the table.")


_PAPER_COUNT = re.compile(r"Paper:\s*([\d.]+)M")


def paper_count(path):
    """The "Paper: <N>M" figure in the config's comments, in parameters, or None."""
    with open(path) as f:
        match = _PAPER_COUNT.search(f.read())
    return float(match.group(1)) * 1e6 if match else None


def build(path, bindings=()):
    gin.clear_config()
    cli.parse_gin([path], bindings)
    return configurables.build_model()


def params(layer, variables="weights"):
    return sum(int(v.numpy().size) for v in getattr(layer, variables))


def svg_breakdown(model):
    """SVG-LP's parts, trainable (the release's count) and BatchNorm's moving statistics."""
    parts = [
        (name, params(getattr(model, name), "trainable_weights"))
        for name in ("encoder", "decoder", "frame_predictor", "posterior", "prior")
    ]
    moving = params(model.encoder, "non_trainable_weights")
    moving += params(model.decoder, "non_trainable_weights")
    parts.append(("BatchNorm moving means and variances (not trainable)", moving))
    own = model.count_params() - sum(n for _, n in parts)
    if own:
        parts.append(("the step counter `training_step` (not trainable)", own))
    return parts


def breakdown(model):
    """[(part, parameters)] covering every parameter of the model exactly once."""
    if not hasattr(model, "hierarchy"):
        return svg_breakdown(model)
    renderer_init = sum(params(net) for net in model.renderer.init_states if net is not None)
    parts = [
        ("encoder", params(model.encoder)),
        ("renderer (ConvLSTMs, upsampling, output convs)", params(model.renderer) - renderer_init),
        ("renderer initial-state nets", renderer_init),
    ]
    hierarchy = model.hierarchy
    for level, size in enumerate(hierarchy.resolutions):
        what = f"level {level} ({size}x{size}x{hierarchy.latent_channels[level]})"
        for kind in ("prior", "posterior"):
            net = getattr(hierarchy, f"{kind}_levels")[level]
            init = params(net.init_state)
            parts.append((f"{what} {kind}", params(net) - init))
            parts.append((f"{what} {kind} initial-state net", init))
    own = model.count_params() - sum(n for _, n in parts)
    if own:
        parts.append(("the step counter `training_step` (not trainable)", own))
    return parts


def main(argv, flag_values):
    configs = argv[1:]  # gin files, paths relative to the repository root
    if not configs:
        raise command_line.UsageError("Give one or more gin files, e.g. gin/paper/*.gin")
    os.chdir(REPO)  # the paths are relative to it (paper_count opens them too)
    print_counts(configs, flag_values.bindings, flag_values.breakdown)


def print_counts(configs, bindings, by_part):
    """The table of `configs`' parameter counts; with `by_part`, each model's breakdown."""
    if by_part:
        for path in configs:
            model = build(path, bindings)
            print(f"`{path}`: {model.count_params():,} parameters\n")
            print("| part | parameters |\n|---|---:|")
            for part, number in breakdown(model):
                print(f"| {part} | {number:,} |")
            print()
        return
    print("| config | parameters | paper | ratio |")
    print("|---|---:|---:|---:|")
    for path in configs:
        ours, paper = build(path, bindings).count_params(), paper_count(path)
        ratio = f"{ours / paper:.2f}" if paper else ""
        paper_text = f"{paper / 1e6:.2f}M" if paper else ""
        name = " ".join([f"`{path}`"] + [f"`{b}`" for b in bindings])
        print(f"| {name} | {ours:,} | {paper_text} | {ratio} |", flush=True)


if __name__ == "__main__":
    command_line.run(main, define_flags, positional_args=True)
