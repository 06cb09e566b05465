"""Training-step throughput: sequences/s, ms/step, peak memory, model FLOPs and MFU.

Usage (from the repository root; JAX is the fast path on a GPU):

    KERAS_BACKEND=jax python bench/train_step.py --gin_file=gin/bair_hier.gin \\
        --batch_size=32 [--precision=mixed_bfloat16] [--steps=20] [--json] [--plan_only]

Random videos of the configured size (2 + 10 frames for BAIR), the model and
optimizer of the gin file, one jitted train step (`vrnn_tf.backends.jax_train_step` on
JAX, compiled once ahead of time with the state donated; the distributed
`tf_train_step.train_step` on TensorFlow). Model FLOPs per step are counted
analytically (`vrnn_tf.analysis.flops`) and, on JAX, cross-checked against XLA's cost
analysis of the compiled step; MFU = model FLOP/s / the device's dense bf16
peak (`bench/_common.py` table, or --peak_tflops). On JAX it also prints
XLA's memory plan of the step (arguments, outputs, temporaries: the planned
peak); `--plan_only` stops there, without running a step (on a CPU that tells
what a GPU must hold before one is touched).
"""

import time

import gin
import keras
import numpy as np
from absl import flags

import vrnn_tf
from data_prep import command_line
from vrnn_tf import configurables
from vrnn_tf.analysis import flops
from vrnn_tf.backends import distribute

import _common  # first: sys.path, TF log level


def define_flags(flag_values):
    _common.define_flags(flag_values)
    flags.adopt_module_key_flags(_common, flag_values=flag_values)
    define = command_line.FlagDefiner(flag_values)
    define.integer("batch_size", None, "Global batch (default: the gin file's train.batch_size).")
    define.integer("steps", 10, "Timed steps.")
    define.integer("warmup", 2, "Untimed steps after compilation.")


def clip_shape(batch_size):
    future = gin.query_parameter("train.future_frames")
    model_args = {
        name: configurables.model_setting(name)
        for name in ("image_size", "image_channels", "context_frames")
    }
    frames = model_args["context_frames"] + future
    size, channels = model_args["image_size"], model_args["image_channels"]
    return (batch_size, frames, size, size, channels)


def time_jax(model, videos, steps, warmup, plan_only=False):
    """Compiles the JAX train step and times it on device-resident data.

    Returns:
        dict: compile s, s/step (None with `plan_only`), XLA's FLOPs and memory plan.
    """
    import jax

    state = (
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables],
        [v.value for v in model.optimizer.variables],
        [v.value for v in model.metrics_variables],
    )
    data = (jax.tree.map(jax.numpy.asarray, videos),)
    start = time.perf_counter()
    compiled = jax.jit(model.train_step, donate_argnums=0).lower(state, data).compile()
    result = dict(
        compile_seconds=time.perf_counter() - start,
        seconds=None,
        xla_flops=_common.xla_flops(compiled),
        plan=_common.memory_plan(compiled),
    )
    if plan_only:
        return result
    for _ in range(warmup):
        _, state = compiled(state, data)
    jax.block_until_ready(state)
    start = time.perf_counter()
    for _ in range(steps):
        logs, state = compiled(state, data)
    jax.block_until_ready((logs, state))
    result["seconds"] = (time.perf_counter() - start) / steps
    return result


def time_keras(model, videos, steps, warmup):
    """`train_on_batch` (TF: the tf.function step); the first step's s stands for compile s."""
    # train_on_batch returns the logs as Python numbers: each call waits for the device.
    first, seconds, _ = _common.time_calls(
        lambda batch: model.train_on_batch(batch, return_dict=True), [videos] * steps, warmup
    )
    return dict(compile_seconds=first, seconds=seconds / steps, xla_flops=None, plan={})


def main(argv, flag_values):
    _common.parse_flags_gin(flag_values)
    _common.check_plan_only(flag_values.plan_only)
    batch_size = flag_values.batch_size or gin.query_parameter("train.batch_size")
    shape = clip_shape(batch_size)
    videos = np.random.default_rng(0).random(shape, dtype=np.float32)
    model = vrnn_tf.build_model()
    if model.action_dim:  # an action model's batch: random actions with the videos
        actions_shape = (batch_size, shape[1] - 1, model.action_dim)
        actions = np.random.default_rng(1).uniform(-1, 1, actions_shape).astype(np.float32)
        videos = {"video": videos, "actions": actions}
    model.compile(
        optimizer=vrnn_tf.build_optimizer(),
        jit_compile=distribute.plan_xla("auto", "default").jit_compile,
    )
    steps, warmup = flag_values.steps, flag_values.warmup
    if keras.backend.backend() == "jax":
        run = time_jax(model, videos, steps, warmup, flag_values.plan_only)
    else:
        run = time_keras(model, videos, steps, warmup)
    backend, device, peak, peak_source = _common.device_and_peak(flag_values.peak_tflops)
    model_flops = flops.training_step_flops(model, batch_size, shape[1])
    xla_flops, seconds = run["xla_flops"], run["seconds"]
    numbers = dict(
        parameters=model.count_params(),
        clip_shape=list(shape),
        compile_seconds=round(run["compile_seconds"], 2),
        # 5 significant digits: the dry run's toy model does 1e-5 TFLOPs per step.
        model_tflops_per_step=float(f"{model_flops / 1e12:.5g}"),
        xla_tflops_per_step=None if xla_flops is None else float(f"{xla_flops / 1e12:.5g}"),
        analytic_over_xla=None if not xla_flops else round(model_flops / xla_flops, 3),
        **run["plan"],
    )
    if seconds is not None:
        numbers.update(
            ms_per_step=round(1e3 * seconds, 2),
            sequences_per_second=round(batch_size / seconds, 2),
            achieved_tflops=round(model_flops / seconds / 1e12, 3),
            **_common.mfu_numbers(model_flops / seconds, peak, peak_source),
        )
    _common.report(flag_values, numbers, backend, device)


if __name__ == "__main__":
    command_line.run(main, define_flags)
