"""Every gin configurable, registered here and nowhere else.

gin files bind the arguments of what this module registers:

- the layers, `frame_encoder`, `latent_hierarchy` and `renderer` (`frame_encoder.stage_channels
  = (...)`): Keras 3 layers break under `@gin.configurable`, so the classes are registered with
  `gin.external_configurable`;
- SVG-LP's settings, `svg_lp` (`svg_lp.codec = 'vgg'`);
- the builders of the model and the optimizer, `build_model` and `build_optimizer`, defined
  here (`build_model.beta = 1.0`, `build_model.architecture = 'svg_lp'`); defaults are the
  paper's BAIR 64x64 "1-8-32" model;
- the datasets (`train.dataset = @smmnist_dataset`, `smmnist_dataset.image_size = 32`);
- the training run, `train` (`vrnn_tf.training.loop.train` with these builders).

A program imports this module before it parses gin files (`vrnn_tf.cli.parse_gin` and
`vrnn_tf.workdirs` do); no other module registers anything.
"""

import functools
import inspect
import os

import gin
import keras

from vrnn_tf import gin_settings
from vrnn_tf import optimizers
from vrnn_tf import schedules
from vrnn_tf.backends import trainable
from vrnn_tf.data import datasets
from vrnn_tf.layers import FrameEncoder
from vrnn_tf.layers import LatentHierarchy
from vrnn_tf.layers import Renderer
from vrnn_tf.model import HierarchicalVRNN
from vrnn_tf.svg_lp import SVGLP
from vrnn_tf.training import loop
from vrnn_tf.video_model import VideoPredictionModel

# The three components are configured directly by their constructor
# arguments (`frame_encoder.stage_channels = ...`); their defaults live in the
# layer classes.
frame_encoder = gin.external_configurable(FrameEncoder, name="frame_encoder", module="vrnn_tf")
latent_hierarchy = gin.external_configurable(
    LatentHierarchy, name="latent_hierarchy", module="vrnn_tf"
)
renderer = gin.external_configurable(Renderer, name="renderer", module="vrnn_tf")

# The datasets, each under its `gin_name` (`train.dataset = @smmnist_dataset`,
# `smmnist_dataset.image_size = 32`).
DATASETS = {
    cls.gin_name: gin.external_configurable(cls, cls.gin_name, module="vrnn_tf.data.datasets")
    for cls in (
        datasets.StochasticMovingMnist,
        datasets.SyntheticVideos,
        datasets.BairRobotPushing,
        datasets.CityscapesSequences,
        datasets.OwnVideos,
    )
}


PRECISIONS = ("float32", "mixed_bfloat16")

# build_model's defaults are VideoPredictionModel's: written once, in the constructor.
_MODEL_DEFAULTS = {
    name: parameter.default
    for name, parameter in inspect.signature(VideoPredictionModel.__init__).parameters.items()
    if parameter.default is not inspect.Parameter.empty
}


# SVG-LP's own settings (`svg_lp.codec = 'vgg'`, `svg_lp.z_dim = 64`): the arguments of
# `SVGLP` that `build_model` does not set.
svg_lp = gin.external_configurable(
    trainable.trainable(SVGLP),
    name="svg_lp",
    module="vrnn_tf",
    denylist=list(_MODEL_DEFAULTS),
)


def _hierarchical_vrnn(image_channels, precision, **settings):
    return trainable.trainable(HierarchicalVRNN)(
        frame_encoder(name="encoder", dtype=precision),
        latent_hierarchy(name="hierarchy", dtype=precision),
        renderer(image_channels=image_channels, name="renderer", dtype=precision),
        image_channels=image_channels,
        name="hierarchical_vrnn",
        dtype=precision,
        **settings,
    )


def _svg_lp(image_channels, precision, **settings):
    return svg_lp(image_channels=image_channels, name="svg_lp", dtype=precision, **settings)


# The models `build_model.architecture` names; their own settings are bound on their parts
# (`latent_hierarchy.*`, `renderer.*`, ... or `svg_lp.*`).
ARCHITECTURES = {"hierarchical_vrnn": _hierarchical_vrnn, "svg_lp": _svg_lp}


@gin.configurable
def build_model(
    architecture="hierarchical_vrnn",
    image_size=_MODEL_DEFAULTS["image_size"],
    image_channels=_MODEL_DEFAULTS["image_channels"],
    context_frames=_MODEL_DEFAULTS["context_frames"],
    likelihood=_MODEL_DEFAULTS["likelihood"],
    beta=_MODEL_DEFAULTS["beta"],
    beta_warmup_steps=_MODEL_DEFAULTS["beta_warmup_steps"],
    seed=_MODEL_DEFAULTS["seed"],
    action_dim=_MODEL_DEFAULTS["action_dim"],
    precision="float32",
):
    """The model of the parsed gin configuration, built (weights exist).

    Args:
        architecture: "hierarchical_vrnn" (the paper's model; defaults: its BAIR 64x64
            "1-8-32") or "svg_lp" (the paper's baseline, `vrnn_tf.svg_lp.SVGLP`).
        image_size, image_channels, context_frames, likelihood, beta,
            beta_warmup_steps, seed, action_dim: `VideoPredictionModel`'s (defaults: its
            own; `action_dim = 4` conditions BAIR's hierarchical model on the robot's actions).
        precision: "float32", or "mixed_bfloat16": bfloat16 activations and
            float32 variables; the Gaussians' parameters, the KL, the
            likelihood and the normalisations' statistics stay float32.
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"build_model.architecture = {architecture!r}; choose one of "
            f"{', '.join(ARCHITECTURES)}."
        )
    if precision not in PRECISIONS:
        raise ValueError(
            f"build_model.precision = {precision!r}; choose one of {', '.join(PRECISIONS)} "
            "(float16 would need loss scaling; bfloat16 does not)."
        )
    model = ARCHITECTURES[architecture](
        image_channels,
        precision,
        image_size=image_size,
        context_frames=context_frames,
        likelihood=likelihood,
        beta=beta,
        beta_warmup_steps=beta_warmup_steps,
        seed=seed,
        action_dim=action_dim,
    )
    model.build()
    return model


WEIGHT_DECAY_MODES = ("coupled", "decoupled")


@gin.configurable
def build_optimizer(
    global_batch_size=None,
    base_learning_rate=2e-5,
    reference_batch_size=16,
    peak_learning_rate=None,
    warmup_steps=0,
    beta_1=0.5,
    beta_2=0.9,
    epsilon=1e-8,
    weight_decay=1e-4,
    weight_decay_mode="coupled",
    clipnorm=None,
):
    """The paper's optimizer (§5): Adam, L2 weight decay 1e-4, a linear learning-rate warmup.

    The learning rate rises linearly from `base_learning_rate` to the peak
    over `warmup_steps` (the paper: 5 epochs), then stays there. The peak
    scales with the global batch as in the public release (`main.py`:
    `lr * batch_size * world_size / 16`, paper ref. [11]):
    `base_learning_rate * global_batch_size / reference_batch_size`, and
    `base_learning_rate` itself at batches up to the reference (2e-5 at batch
    16, 4e-5 at 32, the paper's 1.6e-4 at its batch of 128).

    Args:
        global_batch_size: int or None. Videos per step over all replicas;
            None: gin's `train.batch_size` binding.
        base_learning_rate: float. The rate at step 0 and at the reference batch.
        reference_batch_size: int. The batch that `base_learning_rate` belongs to.
        peak_learning_rate: float or None. Overrides the scaled peak (for
            configs that are not the paper's, e.g. the CPU demo).
        warmup_steps: int. Steps from the base to the peak (0: the peak throughout).
        beta_1, beta_2, epsilon: Adam's (epsilon as in PyTorch, after the bias correction).
        weight_decay: float. The decay coefficient.
        weight_decay_mode: "coupled": `weight_decay * w` is added to every
            gradient before Adam's moments, as `torch.optim.Adam(...,
            weight_decay=1e-4)` in the release (`vrnn_tf.optimizers.AdamL2`);
            "decoupled": Keras's `AdamW` (`w -= lr * weight_decay * w`).
        clipnorm: float or None. Per-variable gradient norm clipping.

    Returns:
        A `keras.optimizers.Optimizer`.
    """
    if weight_decay_mode not in WEIGHT_DECAY_MODES:
        raise ValueError(
            f"build_optimizer.weight_decay_mode = {weight_decay_mode!r}; choose one of "
            f"{', '.join(WEIGHT_DECAY_MODES)}."
        )
    if global_batch_size is None:
        global_batch_size = _bound_global_batch_size()
    if peak_learning_rate is None:
        peak_learning_rate = schedules.scaled_learning_rate(
            base_learning_rate, global_batch_size, reference_batch_size
        )
    schedule = schedules.LinearWarmup(base_learning_rate, peak_learning_rate, warmup_steps)
    if weight_decay_mode == "coupled":
        return optimizers.AdamL2(
            learning_rate=schedule,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            l2_weight_decay=weight_decay,
            clipnorm=clipnorm,
        )
    return keras.optimizers.AdamW(
        learning_rate=schedule,
        beta_1=beta_1,
        beta_2=beta_2,
        epsilon=epsilon,
        weight_decay=weight_decay,
        clipnorm=clipnorm,
    )


def _bound_global_batch_size():
    try:
        return gin.query_parameter("train.batch_size")
    except ValueError as error:
        raise ValueError(
            "build_optimizer needs the global batch size to scale the learning rate: "
            "pass global_batch_size=..., or bind train.batch_size (or "
            "build_optimizer.global_batch_size) in the gin config."
        ) from error


# The training run (`train.steps = 1000`), told which builders make its model and optimizer;
# named and documented as `loop.train` (gin names and checks bindings by it).
train = gin.external_configurable(
    functools.update_wrapper(
        functools.partial(loop.train, build_model=build_model, build_optimizer=build_optimizer),
        loop.train,
    ),
    name="train",
    module="vrnn_tf.training.loop",
    denylist=["workdir", "strategy", "build_model", "build_optimizer"],
)


# gin files name each other relative to the repository (`include 'gin/models/paper.gin'`).
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def add_repo_to_search_path():
    """Lets gin find `gin/...` files from any working folder: the one place that sets it."""
    gin.add_config_file_search_path(REPO)


def parse_gin(gin_files=(), gin_bindings=()):
    """Parses gin files (paths relative to the repository or the working folder), then
    bindings, with every configurable registered (this module): `vrnn_tf.parse_gin`.

    Raises:
        ValueError / IOError: gin's, for a missing file, a syntax error or a binding of an
            unknown function or argument (`vrnn_tf.cli.parse_gin` turns them into a usage
            error that says what to check).
    """
    add_repo_to_search_path()
    # Not locked: a program or a notebook may bind more afterwards.
    gin.parse_config_files_and_bindings(list(gin_files), list(gin_bindings), finalize_config=False)


def model_setting(name):
    """`build_model`'s argument `name` as the parsed gin config sets it (else its default).

    For the entry points' checks, which must know the frame size and context before the
    (slow) model build.
    """
    return gin_settings.bound_argument(build_model, name)
