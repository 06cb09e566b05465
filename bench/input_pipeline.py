"""Input pipeline throughput: batches per second of the BAIR and Cityscapes training pipelines.

Writes synthetic data in the original formats to a temporary folder, then times batches of
training windows as the trainer draws them (``load(...).batch(B, drop_remainder=True)
.prefetch(2)``), after a warm-up that fills the shuffle buffer:

    BAIR:       2 train files x 256 trajectories in the archive's layout (random pixels, 740 KB
                per record, as the real files), 12-frame windows, batch 32.
    Cityscapes: 64 converted sequences at 128x128 (shards written by ``cityscapes.write_split``,
                the converter's own writer), 12-frame windows, batch 32 and 16.

Usage (from the repository root):
    python bench/input_pipeline.py [--batches 40] [--json] [--workdir DIR]

Prints a table (or, with ``--json``, one JSON object) of ms/batch, batches/s and sequences/s.
The numbers depend on the host's cores and disk cache; the data are read back from the page cache.
"""

import json
import os
import platform
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from data_prep import bair  # noqa: E402
from data_prep import cityscapes  # noqa: E402
from tests.data_prep import tfrecord_testing as writers  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_integer("batches", 40, "Timed batches per pipeline.")
flags.DEFINE_integer("warmup", 5, "Untimed batches first.")
flags.DEFINE_integer("sequence_length", 12, "Frames per training window.")
flags.DEFINE_integer("bair_files", 2, "BAIR train files.")
flags.DEFINE_integer("bair_trajectories", 256, "Trajectories per BAIR file.")
flags.DEFINE_integer("cityscapes_sequences", 64, "Converted Cityscapes sequences.")
flags.DEFINE_integer("resolution", 128, "Cityscapes frame side.")
flags.DEFINE_string("workdir", None, "Data folder (default: a temporary one).")
flags.DEFINE_bool("json", False, "Print one JSON object.")


def write_bair(root, files, trajectories):
    """Writes ``files`` train files of ``trajectories`` records each under ``root/train``."""
    rng = np.random.default_rng(0)
    for k in range(files):
        first = 512 + 256 * k  # never traj_256_to_511, the val file
        path = os.path.join(root, "train", f"traj_{first}_to_{first + 255}.tfrecords")
        writers.write_bair_file(path, (writers.bair_trajectory(rng) for _ in range(trajectories)))
    return root


def _random_frames(info, resolution=128):
    rng = np.random.default_rng(info.sequence)
    return rng.integers(
        0, 256, (cityscapes.FRAMES_PER_SEQUENCE, resolution, resolution, 3), dtype=np.uint8
    )


def write_cityscapes(root, sequences, resolution):
    """Writes ``sequences`` converted train sequences of random pixels (converter's format)."""
    infos = [cityscapes.SequenceInfo("bench", i, tuple(range(30)), ()) for i in range(sequences)]
    cityscapes.write_split(
        root,
        "train",
        infos,
        lambda info: _random_frames(info, resolution),
        resolution,
        workers=1,
        progress=False,
    )
    return root


def time_pipeline(dataset, batch_size, batches, warmup):
    """Returns (seconds to the first batches, ms per batch) of the batched training pipeline."""
    import tensorflow as tf

    iterator = iter(dataset.batch(batch_size, drop_remainder=True).prefetch(2))
    start = time.perf_counter()
    for _ in range(warmup):
        batch = next(iterator)
    first = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(batches):
        batch = next(iterator)
    elapsed = time.perf_counter() - start
    video = batch["video"] if isinstance(batch, dict) else batch
    assert video.dtype == tf.float32 and video.shape[0] == batch_size
    return first, 1000.0 * elapsed / batches


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    import tensorflow as tf

    workdir = FLAGS.workdir or tempfile.mkdtemp(prefix="bench_input_")
    try:
        start = time.perf_counter()
        print(f"writing synthetic data to {workdir} ...", file=sys.stderr)
        bair_dir = write_bair(
            os.path.join(workdir, "softmotion30_44k"), FLAGS.bair_files, FLAGS.bair_trajectories
        )
        city_dir = write_cityscapes(
            os.path.join(workdir, "cityscapes"), FLAGS.cityscapes_sequences, FLAGS.resolution
        )
        write_seconds = time.perf_counter() - start
        T = FLAGS.sequence_length
        cases = [
            (
                "bair",
                f"train T={T} 64x64",
                32,
                lambda: bair.load(bair_dir, "train", sequence_length=T),
            ),
            (
                "bair+actions",
                f"train T={T} 64x64",
                32,
                lambda: bair.load(bair_dir, "train", sequence_length=T, with_actions=True),
            ),
            (
                "cityscapes",
                f"train T={T} {FLAGS.resolution}x{FLAGS.resolution}",
                32,
                lambda: cityscapes.load(city_dir, "train", sequence_length=T),
            ),
            (
                "cityscapes",
                f"train T={T} {FLAGS.resolution}x{FLAGS.resolution}",
                16,
                lambda: cityscapes.load(city_dir, "train", sequence_length=T),
            ),
        ]
        results = []
        for name, what, batch_size, build in cases:
            print(f"timing {name} batch {batch_size} ...", file=sys.stderr)
            started = time.perf_counter()
            dataset = build()
            build_seconds = time.perf_counter() - started
            first, ms = time_pipeline(dataset, batch_size, FLAGS.batches, FLAGS.warmup)
            results.append(
                {
                    "pipeline": name,
                    "windows": what,
                    "batch_size": batch_size,
                    "build_s": round(build_seconds, 3),
                    "warmup_s": round(first, 3),
                    "ms_per_batch": round(ms, 2),
                    "batches_per_s": round(1000.0 / ms, 2),
                    "sequences_per_s": round(1000.0 * batch_size / ms, 1),
                }
            )
        report = {
            "host": {
                "cpus": os.cpu_count(),
                "machine": platform.machine(),
                "tensorflow": tf.__version__,
                "python": platform.python_version(),
            },
            "data": {
                "bair_files": FLAGS.bair_files,
                "bair_trajectories_per_file": FLAGS.bair_trajectories,
                "cityscapes_sequences": FLAGS.cityscapes_sequences,
                "write_s": round(write_seconds, 1),
            },
            "timed_batches": FLAGS.batches,
            "warmup_batches": FLAGS.warmup,
            "results": results,
        }
    finally:
        if FLAGS.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if FLAGS.json:
        print(json.dumps(report, indent=1))
    else:
        print(
            f"{os.cpu_count()} CPUs, TensorFlow {tf.__version__}; {FLAGS.batches} timed batches "
            f"after {FLAGS.warmup} warm-up batches"
        )
        print(
            f"{'pipeline':<14} {'windows':<22} {'batch':>5} {'ms/batch':>9} {'batch/s':>8} "
            f"{'seq/s':>7} {'warm-up s':>9}"
        )
        for r in results:
            print(
                f"{r['pipeline']:<14} {r['windows']:<22} {r['batch_size']:>5} "
                f"{r['ms_per_batch']:>9.1f} {r['batches_per_s']:>8.1f} "
                f"{r['sequences_per_s']:>7.0f} {r['warmup_s']:>9.1f}"
            )


if __name__ == "__main__":
    app.run(main)
