"""Input pipeline throughput: batches per second of the BAIR and Cityscapes training pipelines.

Writes synthetic data in the original formats to a temporary folder, then times batches of
training windows as the trainer draws them (`load(...).batch(B, drop_remainder=True)
.prefetch(2)`), after a warm-up that fills the shuffle buffer:

    BAIR:       2 train files x 256 trajectories in the archive's layout (random pixels, 740 KB
                per record, as the real files), 12-frame windows, batch 32.
    Cityscapes: 64 converted sequences at 128x128 (shards written by
                `cityscapes_shards.write_split`, the converter's own writer), 12-frame
                windows, batch 32 and 16.

Usage (from the repository root):
    python bench/input_pipeline.py [--batches 40] [--json] [--workdir DIR]

Prints a table (or, with `--json`, one JSON object) of ms/batch, batches/s and sequences/s.
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

from data_prep import bair  # noqa: E402
from data_prep import cityscapes_clips  # noqa: E402
from data_prep import cityscapes_sequences  # noqa: E402
from data_prep import cityscapes_shards  # noqa: E402
from data_prep import command_line  # noqa: E402
from tests.data_prep import tfrecord_testing as writers  # noqa: E402


def define_flags(flag_values):
    define = command_line.FlagDefiner(flag_values)
    define.integer("batches", 40, "Timed batches per pipeline.")
    define.integer("warmup", 5, "Untimed batches first.")
    define.integer("sequence_length", 12, "Frames per training window.")
    define.integer("bair_files", 2, "BAIR train files.")
    define.integer("bair_trajectories", 256, "Trajectories per BAIR file.")
    define.integer("cityscapes_sequences", 64, "Converted Cityscapes sequences.")
    define.integer("resolution", 128, "Cityscapes frame side.")
    define.string("workdir", None, "Data folder (default: a temporary one).")
    define.bool("json", False, "Print one JSON object.")


def write_bair(root, files, trajectories):
    """Writes `files` train files of `trajectories` records each under `root/train`."""
    rng = np.random.default_rng(0)
    for k in range(files):
        first = 512 + 256 * k  # never traj_256_to_511, the val file
        path = os.path.join(root, "train", f"traj_{first}_to_{first + 255}.tfrecords")
        writers.write_bair_file(path, (writers.bair_trajectory(rng) for _ in range(trajectories)))
    return root


def _random_frames(info, resolution=128):
    rng = np.random.default_rng(info.sequence)
    return rng.integers(
        0,
        256,
        (cityscapes_sequences.FRAMES_PER_SEQUENCE, resolution, resolution, 3),
        dtype=np.uint8,
    )


def write_cityscapes(root, sequences, resolution):
    """Writes `sequences` converted train sequences of random pixels (converter's format)."""
    infos = [
        cityscapes_sequences.SequenceInfo("bench", i, tuple(range(30)), ())
        for i in range(sequences)
    ]
    cityscapes_shards.write_split(
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


def pipeline_cases(bair_dir, city_dir, flag_values):
    """[(pipeline, its windows, batch size, callable that builds the dataset)] to time."""
    length, resolution = flag_values.sequence_length, flag_values.resolution
    bair_windows = f"train T={length} 64x64"
    city_windows = f"train T={length} {resolution}x{resolution}"

    def load_cityscapes():
        return cityscapes_clips.load(city_dir, "train", sequence_length=length)

    return [
        ("bair", bair_windows, 32, lambda: bair.load(bair_dir, "train", sequence_length=length)),
        (
            "bair+actions",
            bair_windows,
            32,
            lambda: bair.load(bair_dir, "train", sequence_length=length, with_actions=True),
        ),
        ("cityscapes", city_windows, 32, load_cityscapes),
        ("cityscapes", city_windows, 16, load_cityscapes),
    ]


def time_case(name, windows, batch_size, build, flag_values):
    """One row of the report: `build()`'s pipeline timed at `batch_size`."""
    print(f"timing {name} batch {batch_size} ...", file=sys.stderr)
    started = time.perf_counter()
    dataset = build()
    build_seconds = time.perf_counter() - started
    first, ms = time_pipeline(dataset, batch_size, flag_values.batches, flag_values.warmup)
    return {
        "pipeline": name,
        "windows": windows,
        "batch_size": batch_size,
        "build_s": round(build_seconds, 3),
        "warmup_s": round(first, 3),
        "ms_per_batch": round(ms, 2),
        "batches_per_s": round(1000.0 / ms, 2),
        "sequences_per_s": round(1000.0 * batch_size / ms, 1),
    }


def measure(workdir, flag_values):
    """Writes the synthetic data into `workdir` and times every pipeline: the report."""
    import tensorflow as tf

    start = time.perf_counter()
    print(f"writing synthetic data to {workdir} ...", file=sys.stderr)
    bair_dir = write_bair(
        os.path.join(workdir, "softmotion30_44k"),
        flag_values.bair_files,
        flag_values.bair_trajectories,
    )
    city_dir = write_cityscapes(
        os.path.join(workdir, "cityscapes"),
        flag_values.cityscapes_sequences,
        flag_values.resolution,
    )
    write_seconds = time.perf_counter() - start
    results = [
        time_case(*case, flag_values) for case in pipeline_cases(bair_dir, city_dir, flag_values)
    ]
    return {
        "host": {
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            "tensorflow": tf.__version__,
            "python": platform.python_version(),
        },
        "data": {
            "bair_files": flag_values.bair_files,
            "bair_trajectories_per_file": flag_values.bair_trajectories,
            "cityscapes_sequences": flag_values.cityscapes_sequences,
            "write_s": round(write_seconds, 1),
        },
        "timed_batches": flag_values.batches,
        "warmup_batches": flag_values.warmup,
        "results": results,
    }


def print_table(report):
    print(
        f"{report['host']['cpus']} CPUs, TensorFlow {report['host']['tensorflow']}; "
        f"{report['timed_batches']} timed batches after {report['warmup_batches']} warm-up "
        "batches"
    )
    print(
        f"{'pipeline':<14} {'windows':<22} {'batch':>5} {'ms/batch':>9} {'batch/s':>8} "
        f"{'seq/s':>7} {'warm-up s':>9}"
    )
    for r in report["results"]:
        print(
            f"{r['pipeline']:<14} {r['windows']:<22} {r['batch_size']:>5} "
            f"{r['ms_per_batch']:>9.1f} {r['batches_per_s']:>8.1f} "
            f"{r['sequences_per_s']:>7.0f} {r['warmup_s']:>9.1f}"
        )


def main(argv, flag_values):
    workdir = flag_values.workdir or tempfile.mkdtemp(prefix="bench_input_")
    try:
        report = measure(workdir, flag_values)
    finally:
        if flag_values.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if flag_values.json:
        print(json.dumps(report, indent=1))
    else:
        print_table(report)


if __name__ == "__main__":
    command_line.run(main, define_flags)
