"""Shared by the model benchmarks (train_step.py, sample.py): flags, gin set-up, the
timing loop, the device, its peak FLOP/s and memory, the printed result."""

import json
import os
import platform
import resource
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import gin  # noqa: E402
import keras  # noqa: E402
from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from vrnn_tf import configurables  # noqa: E402

FLAGS = flags.FLAGS

# Dense peak FLOP/s per device kind and compute dtype (vendor data sheets).
# float32 on H100 / A100 means TF32 tensor cores (XLA's default for float32
# convolutions on those GPUs); pass --peak_tflops to override.
PEAK_TFLOPS = {
    "H100": {"bfloat16": 989.4, "float32": 494.7},  # SXM5; PCIe: 756 / 378
    "H200": {"bfloat16": 989.4, "float32": 494.7},
    "A100": {"bfloat16": 312.0, "float32": 156.0},
}


def define_flags():
    """Defines the flags of every model benchmark: --precision, --peak_tflops, --json.

    Also --gin_file / --gin_bindings, by importing `vrnn_tf.train` (which registers gin's
    `train` too). A function, not import-time code, so that the caller adopts them as its
    own (`flags.adopt_module_key_flags(_common)`) and `--help` lists them.
    """
    from vrnn_tf import train  # noqa: F401  (--gin_file / --gin_bindings, gin's `train`)

    flags.DEFINE_enum("precision", "float32", configurables.PRECISIONS, "build_model.precision.")
    flags.DEFINE_float("peak_tflops", None, "Device peak TFLOP/s for MFU (default: table).")
    flags.DEFINE_bool("json", False, "Print one JSON object instead of a table.")


def parse_gin(gin_files, bindings):
    gin.add_config_file_search_path(REPO)
    gin.parse_config_files_and_bindings(gin_files, bindings)


def parse_flags_gin():
    """Applies --gin_file, --gin_bindings and --precision (last, so that it wins)."""
    if not FLAGS.gin_file:
        raise app.UsageError("--gin_file is required, e.g. --gin_file=gin/demo.gin")
    precision = f"build_model.precision = '{FLAGS.precision}'"
    parse_gin(FLAGS.gin_file, FLAGS.gin_bindings + [precision])


def time_calls(call, inputs, warmup=0):
    """Times `call` once per element of `inputs`, after untimed calls that compile and warm up.

    Args:
        call: input -> result. Must return only once the device is done (e.g. return numpy),
            or the time would be of dispatch only.
        inputs: non-empty sequence. `inputs[0]` also feeds the 1 + `warmup` untimed calls.
        warmup: int >= 0. Untimed calls after the first (compiling) one.

    Returns:
        (first call's seconds (compilation included), seconds of all timed calls,
        the last timed call's result).
    """
    start = time.perf_counter()
    call(inputs[0])
    first = time.perf_counter() - start
    for _ in range(warmup):
        call(inputs[0])
    start = time.perf_counter()
    for value in inputs:
        result = call(value)
    return first, time.perf_counter() - start, result


def device_and_peak():
    """(backend, device kind, peak FLOP/s or None) for --precision and --peak_tflops."""
    backend, device = device_description()
    return backend, device, peak_flops(device, FLAGS.precision, FLAGS.peak_tflops)


def device_description():
    """(backend, device kind), e.g. ("jax", "NVIDIA H100 80GB HBM3")."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return backend, jax.devices()[0].device_kind
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            details = tf.config.experimental.get_device_details(gpus[0])
            return backend, details.get("device_name", "GPU")
    return backend, f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"


def peak_flops(device_kind, precision, override_tflops=None):
    """Peak FLOP/s for MFU, or None where unknown (CPUs)."""
    if override_tflops:
        return override_tflops * 1e12
    dtype = "bfloat16" if "bfloat16" in precision else "float32"
    for name, peaks in PEAK_TFLOPS.items():
        if name in device_kind:
            return peaks[dtype] * 1e12
    return None


def peak_memory():
    """(bytes, what): peak accelerator memory where available, else the host's peak RSS."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        stats = jax.devices()[0].memory_stats()
        if stats and "peak_bytes_in_use" in stats:
            return stats["peak_bytes_in_use"], "accelerator peak"
    if backend == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return tf.config.experimental.get_memory_info("GPU:0")["peak"], "accelerator peak"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "host peak RSS"


def report(numbers, backend, device):
    """Prints a run: a table, or with --json one JSON object; returns it as a dict.

    Args:
        numbers: dict of the benchmark's own results, printed after the set-up (gin files,
            backend, device, precision) and before the peak memory and the date.
        backend, device: from `device_description`.
    """
    memory, memory_kind = peak_memory()  # after everything the benchmark ran
    result = dict(
        gin_file=FLAGS.gin_file,
        backend=backend,
        device=device,
        precision=FLAGS.precision,
        **numbers,
        peak_memory_gib=round(memory / 2**30, 2),
        peak_memory_kind=memory_kind,
        date=time.strftime("%Y-%m-%d"),
    )
    if FLAGS.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value}")
    return result
