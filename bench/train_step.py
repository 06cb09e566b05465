"""Training-step throughput: sequences/s, ms/step, peak memory, model FLOPs and MFU.

Usage (from the repository root; JAX is the fast path on a GPU):

    KERAS_BACKEND=jax python bench/train_step.py --gin_file=gin/bair_hier.gin \\
        --batch_size=32 [--precision=mixed_bfloat16] [--steps=20] [--json]

Random videos of the configured size (2 + 10 frames for BAIR), the model and
AdamW of the gin file, one jitted train step (Keras's own on JAX, the
distributed `tf_training.train_step` on TensorFlow). Model FLOPs per step are
counted analytically (`vrnn_tf.flops`) and, on JAX, cross-checked against
XLA's cost analysis of the compiled step; MFU = model FLOPs / time / the
device's peak (`bench/_common.py` table, or --peak_tflops).
"""

import time

from absl import app
from absl import flags

import _common  # first: sys.path, TF log level
import keras
import numpy as np

import vrnn_tf
from vrnn_tf import configurables
from vrnn_tf import distribute
from vrnn_tf import flops

FLAGS = flags.FLAGS
_common.define_flags()
flags.adopt_module_key_flags(_common)
flags.DEFINE_integer("batch_size", None, "Global batch (default: the gin file's train.batch_size).")
flags.DEFINE_integer("steps", 10, "Timed steps.")
flags.DEFINE_integer("warmup", 2, "Untimed steps after compilation.")


def clip_shape(batch_size):
    import gin

    future = gin.query_parameter("train.future_frames")
    model_args = {
        name: configurables.bound_argument(configurables.build_model, name)
        for name in ("image_size", "image_channels", "context_frames")
    }
    frames = model_args["context_frames"] + future
    size, channels = model_args["image_size"], model_args["image_channels"]
    return (batch_size, frames, size, size, channels)


def time_jax(model, videos, steps, warmup):
    """Compiles Keras's JAX train step; returns (compile s, s/step, XLA FLOPs)."""
    import jax

    state = (
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables],
        [v.value for v in model.optimizer.variables],
        [v.value for v in model.metrics_variables],
    )
    data = (jax.numpy.asarray(videos),)
    start = time.perf_counter()
    compiled = jax.jit(model.train_step, donate_argnums=0).lower(state, data).compile()
    compile_seconds = time.perf_counter() - start
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    for _ in range(warmup):
        _, state = compiled(state, data)
    jax.block_until_ready(state)
    start = time.perf_counter()
    for _ in range(steps):
        logs, state = compiled(state, data)
    jax.block_until_ready((logs, state))
    return compile_seconds, (time.perf_counter() - start) / steps, float(cost.get("flops", 0.0))


def time_keras(model, videos, steps, warmup):
    """`train_on_batch` (TF: the tf.function step); returns (first step s, s/step, None)."""
    # train_on_batch returns the logs as Python numbers: each call waits for the device.
    first, seconds, _ = _common.time_calls(
        lambda batch: model.train_on_batch(batch, return_dict=True), [videos] * steps, warmup)
    return first, seconds / steps, None


def main(argv):
    del argv
    _common.parse_flags_gin()
    import gin

    batch_size = FLAGS.batch_size or gin.query_parameter("train.batch_size")
    shape = clip_shape(batch_size)
    videos = np.random.default_rng(0).random(shape, dtype=np.float32)
    model = vrnn_tf.build_model()
    model.compile(
        optimizer=vrnn_tf.build_optimizer(), jit_compile=distribute.default_jit_compile()
    )
    if keras.backend.backend() == "jax":
        compile_seconds, seconds, xla_flops = time_jax(model, videos, FLAGS.steps, FLAGS.warmup)
    else:
        compile_seconds, seconds, xla_flops = time_keras(model, videos, FLAGS.steps, FLAGS.warmup)
    backend, device, peak = _common.device_and_peak()
    model_flops = flops.training_step_flops(model, batch_size, shape[1])
    _common.report(dict(
        parameters=model.count_params(),
        clip_shape=list(shape),
        compile_seconds=round(compile_seconds, 2),
        ms_per_step=round(1e3 * seconds, 2),
        sequences_per_second=round(batch_size / seconds, 2),
        model_tflops_per_step=round(model_flops / 1e12, 4),
        xla_tflops_per_step=None if xla_flops is None else round(xla_flops / 1e12, 4),
        analytic_over_xla=None if not xla_flops else round(model_flops / xla_flops, 3),
        achieved_tflops=round(model_flops / seconds / 1e12, 3),
        mfu=None if peak is None else round(model_flops / seconds / peak, 4),
    ), backend, device)


if __name__ == "__main__":
    app.run(main)
