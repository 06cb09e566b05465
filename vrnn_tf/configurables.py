"""gin-configurable builders: the one place where gin meets the library.

Layers are not decorated with gin (Keras 3 layers break under
`@gin.configurable`); these builder functions are, and gin files bind their
arguments (`frame_encoder.stage_channels = (...)`, `build_model.beta = 1.0`).
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


@gin.configurable
def frame_encoder(stage_channels=(64, 128, 256, 512, 512), global_channels=512, norm_groups=4):
    return FrameEncoder(stage_channels, global_channels, norm_groups, name="encoder")


@gin.configurable
def latent_hierarchy(
    resolutions=(1, 8, 32),
    latent_channels=(10, 512, 128),
    hidden_channels=(512, 512, 128),
    dense=True,
    lstm_norm_groups=16,
    init_norm_groups=4,
):
    return LatentHierarchy(
        resolutions,
        latent_channels,
        hidden_channels,
        dense=dense,
        lstm_norm_groups=lstm_norm_groups,
        init_norm_groups=init_norm_groups,
        name="hierarchy",
    )


@gin.configurable
def renderer(
    resolutions=(1, 4, 8, 16, 32, 64),
    hidden_channels=(512, 512, 512, 256, 128, 64),
    recurrent=None,
    image_channels=3,
    lstm_norm_groups=16,
    norm_groups=4,
):
    return Renderer(
        resolutions,
        hidden_channels,
        recurrent=recurrent,
        image_channels=image_channels,
        lstm_norm_groups=lstm_norm_groups,
        norm_groups=norm_groups,
        name="renderer",
    )


@gin.configurable
def build_model(
    image_size=64,
    image_channels=3,
    context_frames=2,
    likelihood="l1",
    beta=1.0,
    beta_warmup_steps=0,
    seed=0,
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
    """
    model = HierarchicalVRNN(
        frame_encoder(),
        latent_hierarchy(),
        renderer(image_channels=image_channels),
        image_size=image_size,
        image_channels=image_channels,
        context_frames=context_frames,
        likelihood=likelihood,
        beta=beta,
        beta_warmup_steps=beta_warmup_steps,
        seed=seed,
        name="hierarchical_vrnn",
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
        learning_rate=schedules.LinearWarmup(initial_learning_rate, peak_learning_rate, warmup_steps),
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
