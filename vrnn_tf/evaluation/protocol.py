"""The protocol, run chunk by chunk: draw futures, score them, aggregate, write the outputs.

Everything here receives values (the settings, the data, a way to sample); reading a run's
or an export's configuration is `vrnn_tf.evaluate`'s, reading sample files is
`vrnn_tf.evaluation.sample_files`'s. An evaluation is "sample, then score": `evaluate_chunk`
draws a chunk's futures (`sample_chunk`) and scores them (`score_chunk`); `score` runs the
same scoring on futures that are given (`vrnn_tf.score`: samples of any model). Futures are
drawn at most `futures_per_call` (contexts x samples) per call, always in calls of one shape
(one compilation). Each chunk of sequences is saved under `partial/` as it finishes: a rerun
with the same settings reuses it, so a killed run loses at most one chunk.
"""

import hashlib
import json
import math
import os
import sys
import time

import keras
import numpy as np

from data_prep import files
from vrnn_tf import batch_layout
from vrnn_tf import sampling
from vrnn_tf.analysis import visualize
from vrnn_tf.data import inputs
from vrnn_tf.evaluation import scoring

# Futures per sampling call: 8 BAIR contexts x 100 samples, within an 80 GB GPU
# in float32 (docs/PERFORMANCE.md, memory plans).
DEFAULT_FUTURES_PER_CALL = 800
GIF_SEQUENCES = 4
GIF_SAMPLES = 3
GIF_FRAME_MS = 250


class DataError(ValueError):
    """The split cannot be evaluated: endless, empty, or too few sequences for FVD."""


def calls_shape(num_samples, chunk_size, futures_per_call):
    """(contexts, samples per context) of every sampling call: at most `futures_per_call`
    futures, no more contexts than a chunk holds."""
    samples = min(num_samples, futures_per_call)
    return min(chunk_size, max(1, futures_per_call // samples)), samples


def draw_futures(sample, context, num_samples, contexts_per_call, seed, actions=None):
    """Every context's `num_samples` futures, drawn in calls of one shape.

    A short last group of contexts is padded (with its last context) and the
    samples are drawn in rounds until there are `num_samples`; what is padded or
    drawn beyond is dropped. Call k of group g is seeded by `(seed, g, k)`.

    Args:
        sample: callable `(context [contexts_per_call, ...], seed int[, actions]) -> float
            [contexts_per_call, S, F, H, W, C]`, S the same at every call.
        context: float `[B, context_frames, H, W, C]`.
        num_samples: int. Futures per context.
        contexts_per_call: int.
        seed: int.
        actions: None, or float `[B, T - 1, A]`: each clip's own actions (an action
            model's futures follow them: the SAVP protocol).

    Returns:
        float32 numpy `[B, num_samples, F, H, W, C]`.
    """

    def padded(rows, first):
        rows = rows[first : first + contexts_per_call]
        padding = np.repeat(rows[-1:], contexts_per_call - len(rows), axis=0)
        return np.concatenate([rows, padding])

    groups = []
    for group, first in enumerate(range(0, len(context), contexts_per_call)):
        count = min(contexts_per_call, len(context) - first)
        contexts = padded(context, first)
        extra = () if actions is None else (padded(actions, first),)
        rounds, drawn = [], 0
        while drawn < num_samples:
            futures = sample(contexts, sampling.derive_seed(seed, group, len(rounds)), *extra)
            futures = np.asarray(keras.ops.convert_to_numpy(futures), np.float32)[:count]
            rounds.append(futures)
            drawn += futures.shape[1]
        groups.append(np.concatenate(rounds, axis=1)[:, :num_samples])
    return np.concatenate(groups)


def sample_chunk(sample, clips, settings, chunk, actions=None):
    """The futures of one chunk of sequences (seeded by the chunk's index).

    Args:
        sample: callable `(context, seed[, actions]) -> futures`, as `draw_futures` calls it.
        clips: float `[B, context + future, H, W, C]`.
        settings: dict of the evaluation settings.
        chunk: int. Index of the chunk.
        actions: None, or the clips' actions `[B, context + future - 1, A]`.

    Returns:
        float32 `[B, num_samples, F, H, W, C]`.
    """
    contexts_per_call, _ = calls_shape(
        settings["num_samples"], settings["chunk_size"], settings["futures_per_call"]
    )
    return draw_futures(
        sample,
        clips[:, : settings["context_frames"]],
        settings["num_samples"],
        contexts_per_call,
        sampling.derive_seed(settings["seed"], chunk),
        actions,
    )


def score_chunk(clips, samples, settings, chunk, first_sequence):
    """Best-of-N curves and I3D logits of one chunk of (clips, their samples).

    Args:
        clips: float `[B, context + F, H, W, C]` in [0, 1].
        samples: float `[B, S, F, H, W, C]` in [0, 1].
        settings: dict with `context_frames`, `fvd_with_context`, `fvd_repeats`, `seed`,
            `lpips_weights`, `i3d_weights`.
        chunk: int. Index of the chunk (seeds the FVD sample choice).
        first_sequence: int. Index of its first sequence in the split.

    Returns:
        dict of arrays (saved as the chunk's partial result).
    """
    context_frames = settings["context_frames"]
    result = scoring.best_of_n_curves(clips[:, context_frames:], samples, settings["lpips_weights"])
    result.update(
        scoring.fvd_logits(
            clips,
            samples,
            context_frames,
            settings["fvd_with_context"],
            settings["fvd_repeats"],
            np.random.default_rng([settings["seed"], chunk, 1]),
            settings["i3d_weights"],
        )
    )
    # The GIF shows the first GIF_SEQUENCES sequences of the split.
    shown = max(0, min(len(clips), GIF_SEQUENCES - first_sequence))
    result["gif_clips"] = clips[:shown]
    result["gif_samples"] = samples[:shown, :GIF_SAMPLES]
    return result


def evaluate_chunk(sample, batch, settings, chunk, first_sequence):
    """Samples of one chunk of sequences, then their scores (`score_chunk`'s result).

    `batch`: the clips `[B, context + F, H, W, C]`, or the dict of clips and actions.
    """
    clips, actions = batch_layout.split_batch(batch)
    samples = sample_chunk(sample, clips, settings, chunk, actions)  # [B, N, F, H, W, C]
    return score_chunk(clips, samples, settings, chunk, first_sequence)


def run(make_sampler, data, settings, out):
    """Runs the protocol over `data` and writes results.json, curves.*, samples.gif.

    Args:
        make_sampler: callable `(samples_per_call) -> sample(context, seed)`; called only if
            some chunk has no saved result (a finished run just aggregates).
        data: the split's clips `[context + future, H, W, C]` (a finite dataset; with
            actions, dicts of clips and actions, `vrnn_tf.data.inputs`).
        settings: dict of every setting (recorded in results.json; the fingerprint of
            the partial results).
        out: str. Output folder (exists).

    Returns:
        dict: the contents of results.json.
    """
    start = time.time()
    parts = score_chunks(make_sampler, data, settings, os.path.join(out, "partial"))
    return write_outputs(parts, settings, out, time.time() - start)


def score(read_chunk, num_sequences, settings, out, inputs_identity=None):
    """The protocol's scores of given futures: `run` without the sampling.

    Args:
        read_chunk: callable `(start, stop) -> (clips [B, context + F, H, W, C], samples
            [B, S, F, H, W, C])`, float in [0, 1], of sequences `start..stop - 1`.
        num_sequences: int (>= 2).
        settings: dict of every setting, as `score_chunk` reads them and `chunk_size`.
        out: str. Output folder (exists).
        inputs_identity: JSON-able, or None. Joins the fingerprint of the partial results
            (and not results.json): changed input files are scored again.

    Returns:
        dict: the contents of results.json.
    """
    start = time.time()
    size = settings["chunk_size"]
    chunks = [
        (min(size, num_sequences - first), (first, min(first + size, num_sequences)))
        for first in range(0, num_sequences, size)
    ]

    def compute(chunk, bounds, first_sequence):
        clips, samples = read_chunk(*bounds)
        return score_chunk(clips, samples, settings, chunk, first_sequence)

    parts = resumable_parts(
        chunks,
        compute,
        dict(settings, inputs_identity=inputs_identity),
        os.path.join(out, "partial"),
        total=num_sequences,
        desc="score",
    )
    return write_outputs(parts, settings, out, time.time() - start)


def write_outputs(parts, settings, out, seconds):
    """Aggregates the chunks' partial results; writes results.json, curves.*, samples.gif.

    Returns:
        dict: the contents of results.json.
    """
    results, curves = scoring.aggregate(parts)
    results["settings"] = settings
    results["metric_definitions"] = scoring.metric_definitions(settings["fvd_with_context"])
    results["curves"] = {name: curves[name].tolist() for name in scoring.METRICS}
    results["seconds"] = seconds
    files.write_json(os.path.join(out, "results.json"), results)
    scoring.write_curves(out, curves, settings["context_frames"])
    write_gif(
        os.path.join(out, "samples.gif"),
        np.concatenate([p["gif_clips"] for p in parts]),
        np.concatenate([p["gif_samples"] for p in parts]),
        settings["context_frames"],
    )
    return results


def score_chunks(make_sampler, data, settings, partial_dir):
    """The partial result of every chunk of `data`: loaded if saved, else computed and saved."""
    total = inputs.num_videos(data)  # None: unknown
    if total == math.inf:
        raise DataError(f"Split {settings['split']!r} is endless: set --num_sequences.")
    if total is not None and total < 2:
        raise DataError(
            f"FVD needs at least 2 sequences; split {settings['split']!r} gives {total}."
        )
    sample = None

    def compute(chunk, batch, first_sequence):
        nonlocal sample
        if sample is None:
            _, samples_per_call = calls_shape(
                settings["num_samples"], settings["chunk_size"], settings["futures_per_call"]
            )
            sample = make_sampler(samples_per_call)
        return evaluate_chunk(sample, batch, settings, chunk, first_sequence)

    batches = (
        (len(batch_layout.split_batch(b)[0]), b)
        for b in inputs.numpy_batches(data, settings["chunk_size"])
    )
    parts = resumable_parts(batches, compute, settings, partial_dir, total, desc="evaluate")
    if not parts:
        raise DataError(f"Split {settings['split']!r} holds no sequences.")
    return parts


def resumable_parts(chunks, compute, fingerprinted, partial_dir, total, desc):
    """Every chunk's partial result: loaded from `partial_dir` if saved, else computed, saved.

    Args:
        chunks: iterable of `(number of sequences, payload)`, in order.
        compute: callable `(chunk index, payload, index of its first sequence) -> dict of
            arrays`.
        fingerprinted: JSON-able. Names the saved results (a hash of it): results are reused
            only when it is identical.
        partial_dir: str.
        total: int or None. Sequences in all (for the progress bar).
        desc: str. The progress bar's label.

    Returns:
        list of dicts of arrays.
    """
    from tqdm import tqdm

    os.makedirs(partial_dir, exist_ok=True)
    fingerprint = hashlib.sha1(json.dumps(fingerprinted, sort_keys=True).encode()).hexdigest()[:12]
    parts = []
    first_sequence = 0
    progress = tqdm(total=total, unit="seq", desc=desc, file=sys.stdout)
    for chunk, (count, payload) in enumerate(chunks):
        path = os.path.join(partial_dir, f"chunk-{chunk:05d}-{fingerprint}.npz")
        if os.path.exists(path):
            with np.load(path) as saved:
                part = dict(saved)
        else:
            part = compute(chunk, payload, first_sequence)
            with files.atomic_path(path) as tmp:
                np.savez(tmp, **part)
        parts.append(part)
        first_sequence += count
        progress.update(count)
    progress.close()
    return parts


def write_gif(path, clips, samples, context_frames):
    """An animated grid: one row per sequence, its ground truth then its samples.

    Args:
        clips: float `[N, context + F, H, W, C]`.
        samples: float `[N, S, F, H, W, C]`.
    """
    context = clips[:, :context_frames]
    rows = [
        [clips[i]] + [np.concatenate([context[i], sample]) for sample in samples[i]]
        for i in range(len(clips))
    ]
    tiles = np.stack([video for row in rows for video in row])  # [N * (1 + S), T, H, W, C]
    frames = visualize.animation_grid(tiles, context_frames, columns=1 + samples.shape[1])
    visualize.write_animation(path, frames, fps=1000.0 / GIF_FRAME_MS)
