"""Shared by the benchmarks: gin set-up, the device, its peak FLOP/s and memory."""

import os
import platform
import resource
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import gin  # noqa: E402
import keras  # noqa: E402

# Dense peak FLOP/s per device kind and compute dtype (vendor data sheets).
# float32 on H100 / A100 means TF32 tensor cores (XLA's default for float32
# convolutions on those GPUs); pass --peak_tflops to override.
PEAK_TFLOPS = {
    "H100": {"bfloat16": 989.4, "float32": 494.7},  # SXM5; PCIe: 756 / 378
    "H200": {"bfloat16": 989.4, "float32": 494.7},
    "A100": {"bfloat16": 312.0, "float32": 156.0},
}


def parse_gin(gin_files, bindings):
    gin.add_config_file_search_path(REPO)
    gin.parse_config_files_and_bindings(gin_files, bindings)


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
