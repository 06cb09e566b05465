"""Sampling throughput: generated frames per second of `vrnn_tf.sampling.Sampler`.

Usage (from the repository root):

    KERAS_BACKEND=jax python bench/sample.py --gin_file=gin/bair_hier.gin \\
        --num_contexts=256 --num_samples=100 --contexts_per_call=8 \\
        [--precision=mixed_bfloat16] [--json] [--plan_only]

Draws `num_samples` futures of `num_future` (28) frames for each of
`num_contexts` random contexts, `contexts_per_call` contexts (x num_samples
futures) per compiled call, and reports frames/s (num_contexts x num_samples x
num_future / time, after one untimed compiling call) and what that means for
the full BAIR protocol (256 x 100 x 28 = 716,800 frames). `--python_loop`
times the eager `HierarchicalVRNN.generate` instead, for comparison. On JAX,
`--plan_only` compiles one call and prints XLA's memory plan without running it.
"""

import time

import numpy as np
from absl import flags

import vrnn_tf
from data_prep import command_line
from vrnn_tf import sampling
from vrnn_tf.analysis import flops

import _common  # first: sys.path, TF log level


def define_flags(flag_values):
    _common.define_flags(flag_values)
    flags.adopt_module_key_flags(_common, flag_values=flag_values)
    define = command_line.FlagDefiner(flag_values)
    define.integer("num_contexts", 8, "Contexts in all.")
    define.integer("num_samples", 100, "Futures per context.")
    define.integer("num_future", 28, "Frames per future.")
    define.integer("contexts_per_call", 1, "Contexts per compiled call (x num_samples rows).")
    define.bool("python_loop", False, "Time the eager generate() instead of the Sampler.")


BAIR_PROTOCOL_FRAMES = 256 * 100 * 28


def check_flags(flag_values):
    """The flags' combinations that cannot run (before any work)."""
    _common.check_plan_only(flag_values.plan_only)
    if flag_values.plan_only and flag_values.python_loop:
        raise command_line.UsageError("--plan_only compiles the Sampler: drop --python_loop.")
    if flag_values.num_contexts % flag_values.contexts_per_call:
        raise command_line.UsageError(
            f"--num_contexts={flag_values.num_contexts} must be a multiple of "
            f"--contexts_per_call={flag_values.contexts_per_call}."
        )


def main(argv, flag_values):
    _common.parse_flags_gin(flag_values)
    check_flags(flag_values)
    num_future, num_samples = flag_values.num_future, flag_values.num_samples
    model = vrnn_tf.build_model()
    size, channels = model.image_size, model.image_channels
    contexts = np.random.default_rng(0).random(
        (flag_values.num_contexts, model.context_frames, size, size, channels), dtype=np.float32
    )
    if flag_values.python_loop:

        def sample(context):
            return model.generate(context, num_future, num_samples, seed=0)
    else:
        sample = sampling.Sampler(model, num_future, num_samples, seed=0)
    chunks = np.split(contexts, flag_values.num_contexts // flag_values.contexts_per_call)
    backend, device, peak, peak_source = _common.device_and_peak(flag_values.peak_tflops)
    per_frame = flops.generation_flops_per_frame(model)
    numbers = dict(
        method="python loop (generate)" if flag_values.python_loop else "Sampler (compiled)",
        rows_per_call=flag_values.contexts_per_call * num_samples,
        model_gflops_per_frame=round(per_frame / 1e9, 3),
    )
    if flag_values.plan_only:
        start = time.perf_counter()
        compiled = sample.lower(chunks[0]).compile()
        numbers.update(
            compile_seconds=round(time.perf_counter() - start, 2), **_common.memory_plan(compiled)
        )
        _common.report(flag_values, numbers, backend, device)
        return
    # The first call compiles; np.asarray waits for the frames.
    compile_seconds, seconds, frames = _common.time_calls(
        lambda chunk: np.asarray(sample(chunk)), chunks
    )
    rows = (flag_values.contexts_per_call, num_samples, num_future)
    assert frames.shape == rows + (size, size, channels), frames.shape
    total = flag_values.num_contexts * num_samples * num_future
    rate = total / seconds
    numbers.update(
        frames=total,
        first_call_seconds=round(compile_seconds, 2),
        seconds=round(seconds, 3),
        frames_per_second=round(rate, 1),
        bair_protocol_minutes=round(BAIR_PROTOCOL_FRAMES / rate / 60, 2),
        **_common.mfu_numbers(rate * per_frame, peak, peak_source),
    )
    _common.report(flag_values, numbers, backend, device)


if __name__ == "__main__":
    command_line.run(main, define_flags)
