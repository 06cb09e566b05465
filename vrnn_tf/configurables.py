"""gin-configurable builders: the one place where gin meets the library.

Keras 3 layers break under `@gin.configurable`, so the layer classes are
registered with `gin.external_configurable` and the model and optimizer have
builder functions; gin files bind their arguments
(`frame_encoder.stage_channels = (...)`, `build_model.beta = 1.0`).
Defaults are the paper's BAIR 64x64 "1-8-32" model.
"""

import inspect

import gin
import keras

from vrnn_tf import schedules
from vrnn_tf.layers import FrameEncoder
from vrnn_tf.layers import LatentHierarchy
from vrnn_tf.layers import Renderer
from vrnn_tf.model import HierarchicalVRNN


# The three components are configured directly by their constructor
# arguments (`frame_encoder.stage_channels = ...`); their defaults live in the
# layer classes.
frame_encoder = gin.external_configurable(FrameEncoder, name="frame_encoder", module="vrnn_tf")
latent_hierarchy = gin.external_configurable(
    LatentHierarchy, name="latent_hierarchy", module="vrnn_tf"
)
renderer = gin.external_configurable(Renderer, name="renderer", module="vrnn_tf")


PRECISIONS = ("float32", "mixed_bfloat16")


@gin.configurable
def build_model(
    image_size=64,
    image_channels=3,
    context_frames=2,
    likelihood="l1",
    beta=1.0,
    beta_warmup_steps=0,
    seed=0,
    precision="float32",
):
    """The `HierarchicalVRNN` of the parsed gin configuration, built (weights exist).

    Args:
        image_size: int. Frame height = width.
        image_channels: int. 3 for RGB, 1 for SM-MNIST.
        context_frames: int. Conditioning frames.
        likelihood: "l1", "l2" or "bernoulli".
        beta: float. Final KL weight.
        beta_warmup_steps: int. Linear beta warmup from 0 (0: none).
        seed: int. Seed of the latent noise.
        precision: "float32", or "mixed_bfloat16": bfloat16 activations and
            float32 variables; the Gaussians' parameters, the KL, the
            likelihood and GroupNorm's statistics stay float32.
    """
    if precision not in PRECISIONS:
        raise ValueError(
            f"build_model.precision = {precision!r}; choose one of {', '.join(PRECISIONS)} "
            "(float16 would need loss scaling; bfloat16 does not)."
        )
    model = HierarchicalVRNN(
        frame_encoder(name="encoder", dtype=precision),
        latent_hierarchy(name="hierarchy", dtype=precision),
        renderer(image_channels=image_channels, name="renderer", dtype=precision),
        image_size=image_size,
        image_channels=image_channels,
        context_frames=context_frames,
        likelihood=likelihood,
        beta=beta,
        beta_warmup_steps=beta_warmup_steps,
        seed=seed,
        name="hierarchical_vrnn",
        dtype=precision,
    )
    model.build()
    return model


@gin.configurable
def build_optimizer(
    initial_learning_rate=2e-5,
    peak_learning_rate=1.6e-4,
    warmup_steps=0,
    beta_1=0.5,
    beta_2=0.9,
    weight_decay=1e-4,
    clipnorm=None,
):
    """AdamW with the paper's linear learning-rate warmup (§5)."""
    return keras.optimizers.AdamW(
        learning_rate=schedules.LinearWarmup(
            initial_learning_rate, peak_learning_rate, warmup_steps
        ),
        beta_1=beta_1,
        beta_2=beta_2,
        weight_decay=weight_decay,
        clipnorm=clipnorm,
    )


def bound_argument(fn, name):
    """The value gin binds to `fn`'s argument `name`, else the function's default."""
    try:
        return gin.query_parameter(f"{fn.__name__}.{name}")
    except ValueError:
        return inspect.signature(fn).parameters[name].default
