"""The paper's protocol on the samples of any model, read from files: the library of
`python -m vrnn_tf.score` (its docstring says what it reads and writes).

`score` checks the clips and samples (`vrnn_tf.evaluation.sample_files`) before any
scoring, then scores them with `vrnn_tf.evaluation.protocol`, the code `vrnn_tf.evaluate`
scores with; `summary` is the one line the command prints.
"""

import os
import sys

import keras

from data_prep import command_line
from data_prep import files
from vrnn_tf.evaluation import protocol
from vrnn_tf.evaluation import sample_files
from vrnn_tf.metrics import i3d as i3d_lib
from vrnn_tf.metrics import lpips as lpips_lib


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
    """Scores FAKE's samples of REAL's clips and writes the outputs (`vrnn_tf.score`'s doc).

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
        command_line.UsageError: inputs or settings that cannot be scored, before any scoring.
    """
    for name, value in (("fvd_repeats", fvd_repeats), ("chunk_size", chunk_size)):
        if value < 1:
            raise command_line.UsageError(f"--{name} must be >= 1, got {value}.")
    for name, value in (("--real", real), ("--fake", fake), ("--out", out)):
        if not value:
            raise command_line.UsageError(f"{name} is required (see --help).")
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
        raise command_line.UsageError(str(error)) from error
    command_line.check_writable_folder(out, "--out")
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
