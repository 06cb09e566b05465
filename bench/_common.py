"""Shared by the model benchmarks (train_step.py, sample.py): flags, gin set-up, the
timing loop, the device, its peak FLOP/s and memory (measured and planned), the result."""

import json
import os
import platform
import resource
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
from absl import flags  # noqa: E402

from data_prep import command_line  # noqa: E402
from vrnn_tf import cli  # noqa: E402
from vrnn_tf import configurables  # noqa: E402

# MFU is model FLOP/s over the chip's dense bfloat16 matrix rate, whatever the
# training precision: the most the chip can do. (TFLOP/s, where it comes from.)
# Pass --peak_tflops to override.
BF16_PEAK_TFLOPS = {
    "H200": (790.0, "measured: 8192^3 bf16 matmul on this workplace's H200 (datasheet 989)"),
    "H100": (989.4, "datasheet, H100 SXM5 dense bf16"),
    "A100": (312.0, "datasheet, A100 dense bf16"),
}


def define_flags(flag_values):
    """Defines the flags of every model benchmark into `flag_values`: --gin_file and
    --gin_bindings (`cli.define_run_flags`, with --workdir, which they leave unused),
    --precision, --peak_tflops, --json and --plan_only.

    They are key flags of this module: a benchmark's `define_flags` adopts them
    (`flags.adopt_module_key_flags(_common, flag_values=flag_values)`) so that its `--help`
    lists them.
    """
    cli.define_run_flags(flag_values)
    # Key flags of this module, so adopted with its own.
    flags.declare_key_flag("gin_file", flag_values=flag_values)
    flags.declare_key_flag("gin_bindings", flag_values=flag_values)
    define = command_line.FlagDefiner(flag_values)
    define.enum("precision", "float32", configurables.PRECISIONS, "build_model.precision.")
    define.float("peak_tflops", None, "Device peak TFLOP/s for MFU (default: table).")
    define.bool("json", False, "Print one JSON object instead of a table.")
    define.bool("plan_only", False, "JAX: compile, print XLA's memory plan, run nothing.")


def parse_flags_gin(flag_values):
    """Applies --gin_file, --gin_bindings and --precision (last, so that it wins).

    Raises:
        command_line.UsageError: no --gin_file, or a bad gin configuration.
    """
    if not flag_values.gin_file:
        raise command_line.UsageError("--gin_file is required, e.g. --gin_file=gin/demo.gin")
    precision = f"build_model.precision = '{flag_values.precision}'"
    cli.parse_gin(flag_values.gin_file, flag_values.gin_bindings + [precision])


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


def device_and_peak(peak_tflops=None):
    """(backend, device kind, peak FLOP/s or None, where the peak comes from).

    Args:
        peak_tflops: float or None. The --peak_tflops flag: overrides the table.
    """
    backend, device = device_description()
    peak, source = peak_flops(device, peak_tflops)
    return backend, device, peak, source


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


def peak_flops(device_kind, override_tflops=None):
    """(dense bf16 peak FLOP/s for MFU, its source), or (None, None) where unknown (CPUs)."""
    if override_tflops:
        return override_tflops * 1e12, "--peak_tflops"
    for name, (tflops, source) in BF16_PEAK_TFLOPS.items():
        if name in device_kind:
            return tflops * 1e12, source
    return None, None


def mfu_numbers(flops_per_second, peak, source):
    """The report's MFU entries: model FLOP/s over the dense bf16 peak, and that peak."""
    return dict(
        mfu=None if peak is None else round(flops_per_second / peak, 4),
        peak_tflops=None if peak is None else round(peak / 1e12, 1),
        peak_source=source,
    )


def memory_plan(compiled):
    """XLA's buffer assignment of a compiled JAX program, GiB (4 decimals: a toy model's
    megabytes stay visible), before it runs.

    The planned peak is arguments + outputs - what the outputs alias (donated
    arguments) + temporaries: every buffer the program holds at once. Planned
    by the backend that compiled it (the CPU's plan estimates a GPU's: fusion
    and convolution workspaces differ).
    """
    stats = compiled.memory_analysis()
    gib = {
        name: getattr(stats, f"{name}_size_in_bytes") / 2**30
        for name in ("argument", "output", "alias", "temp")
    }
    return dict(
        planned_arguments_gib=round(gib["argument"], 4),
        planned_outputs_gib=round(gib["output"], 4),
        planned_aliased_gib=round(gib["alias"], 4),
        planned_temporaries_gib=round(gib["temp"], 4),
        planned_peak_gib=round(gib["argument"] + gib["output"] - gib["alias"] + gib["temp"], 4),
    )


def xla_flops(compiled):
    """XLA's FLOP count of a compiled JAX program (0.0 if it has none)."""
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    return float((cost or {}).get("flops", 0.0))


def check_plan_only(plan_only):
    """--plan_only (`plan_only`) needs the JAX backend (XLA's analyses of a compiled program).

    With it, also turns off LLVM's optimisation of the compiled programs
    (`--xla_backend_optimization_level=0` in XLA_FLAGS, as the device check's dry run):
    the program never runs, and the buffer assignment is decided on the HLO before LLVM,
    so the plan is the same (gin/demo.gin: every figure to 4 digits) and the compile
    shorter. Called before anything touches a JAX device: XLA reads XLA_FLAGS then.
    """
    if not plan_only:
        return
    if keras.backend.backend() != "jax":
        raise command_line.UsageError("--plan_only needs KERAS_BACKEND=jax.")
    os.environ["XLA_FLAGS"] = " ".join(
        f for f in (os.environ.get("XLA_FLAGS"), "--xla_backend_optimization_level=0") if f
    )


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


def report(flag_values, numbers, backend, device):
    """Prints a run: a table, or with --json one JSON object; returns it as a dict.

    Args:
        flag_values: the benchmark's parsed flags (`define_flags`'s among them).
        numbers: dict of the benchmark's own results, printed after the set-up (gin files,
            backend, device, precision) and before the peak memory and the date.
        backend, device: from `device_description`.
    """
    memory, memory_kind = peak_memory()  # after everything the benchmark ran
    if flag_values.plan_only:
        memory_kind += " (compiled, not run)"
    result = dict(
        gin_file=flag_values.gin_file,
        gin_bindings=flag_values.gin_bindings,
        backend=backend,
        device=device,
        precision=flag_values.precision,
        **numbers,
        peak_memory_gib=round(memory / 2**30, 2),
        peak_memory_kind=memory_kind,
        date=time.strftime("%Y-%m-%d"),
    )
    if flag_values.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value}")
    return result
