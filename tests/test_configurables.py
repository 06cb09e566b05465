"""Every gin file parses and builds its model; the paper's parameter counts."""

import glob
import os

import gin
import keras
import numpy as np
import pytest

import vrnn_tf
import vrnn_tf.train  # noqa: F401  (registers train and the datasets)
from vrnn_tf import configurables
from vrnn_tf import gin_settings
from vrnn_tf.layers.svg_codec import check_codec
from vrnn_tf.layers.svg_codec import official_stages
from vrnn_tf.optimizers import AdamL2

from conftest import REPO

EXPERIMENTS = sorted(
    os.path.relpath(p, REPO)
    for pattern in ("*.gin", "replication/*.gin")
    for p in glob.glob(os.path.join(REPO, "gin", pattern))
)


@pytest.fixture(autouse=True)
def run_in_repo(monkeypatch):
    monkeypatch.chdir(REPO)
    gin.clear_config()
    yield
    gin.clear_config()


def test_all_experiments_are_found():
    for name in ("bair_hier", "bair_nohier", "smmnist_hier", "smmnist_nohier", "demo"):
        assert f"gin/{name}.gin" in EXPERIMENTS


@pytest.mark.parametrize("path", EXPERIMENTS)
def test_experiment_parses_and_builds(path):
    gin.parse_config_file(path)
    model = vrnn_tf.build_model()
    assert model.built and model.count_params() > 0
    assert gin.query_parameter("train.dataset") is not None
    vrnn_tf.build_optimizer()


@pytest.mark.slow  # four 150-230M-parameter builds: `make test-all`
def test_bair_parameter_counts_are_recorded():
    # Paper: 230.74M (1-8-32) and 166.55M (1 level); the public release's
    # models count 207.89M and 151.42M. docs/ARCHITECTURE.md explains ours.
    counts = {}
    for name in ("bair_hier", "bair_nohier", "bair_hier_actions", "bair_nohier_actions"):
        gin.clear_config()
        gin.parse_config_file(f"gin/{name}.gin")
        counts[name] = vrnn_tf.build_model().count_params()
    assert 200e6 < counts["bair_hier"] < 240e6, counts
    assert 145e6 < counts["bair_nohier"] < 175e6, counts
    # The 4 action channels widen the input 1x1 convs of every prior and posterior (hidden
    # 512, 512, 128 in 1-8-32; 512 in one level) and the renderer's first 3x3 ConvLSTM (512).
    renderer = 4 * 9 * 4 * 512
    assert counts["bair_hier_actions"] - counts["bair_hier"] == 4 * 2 * 1152 + renderer
    assert counts["bair_nohier_actions"] - counts["bair_nohier"] == 4 * 2 * 512 + renderer


PAPER_CONFIGS = sorted(
    os.path.relpath(p, REPO) for p in glob.glob(os.path.join(REPO, "gin", "paper", "*.gin"))
)


def test_every_paper_table_has_its_configs():
    names = {os.path.basename(p)[: -len(".gin")] for p in PAPER_CONFIGS}
    for prefix, count in (
        ("table1_", 4),
        ("table2_", 8),
        ("table3_", 3),  # the VRNN with and without the hierarchy, and SVG-LP
        ("fig6_", 3),
        ("fig7_", 3),
    ):
        assert len([n for n in names if n.startswith(prefix)]) == count, prefix


@pytest.mark.parametrize("path", PAPER_CONFIGS)
def test_paper_config_parses_and_its_layers_validate(path):
    # Building all of them (80-250M parameters each) is tools/count_parameters.py's
    # job; constructing the layers checks every binding's shape and group count.
    gin.parse_config_file(path)
    image_size = gin_settings.bound_argument(configurables.build_model, "image_size")
    if gin_settings.bound_argument(configurables.build_model, "architecture") == "svg_lp":
        codec = {name: gin.query_parameter(f"svg_lp.{name}") for name in ("codec", "g_dim")}
        stages = official_stages(codec["codec"], image_size)  # the release's, as built
        check_codec(codec["codec"], *stages, image_size)
        return
    encoder = configurables.frame_encoder()
    hierarchy = configurables.latent_hierarchy()
    renderer = configurables.renderer()
    assert set(hierarchy.resolutions) <= set(renderer.resolutions)
    assert set(hierarchy.resolutions) <= set(encoder.output_resolutions(image_size))


def _learning_rates(optimizer, steps):
    schedule = optimizer._learning_rate  # the LearningRateSchedule the optimizer calls
    return [float(schedule(step)) for step in steps]


@pytest.mark.parametrize(
    "path, bindings, expected",
    [
        # batch 32: 2e-5 at step 0, 2e-5 x 32 / 16 from the end of the 6760-step warmup.
        ("gin/bair_hier.gin", [], {0: 2e-5, 3380: 3e-5, 6760: 4e-5, 300000: 4e-5}),
        # batch 16, the reference batch: constant.
        ("gin/cityscapes_hier.gin", [], {0: 2e-5, 300: 2e-5, 100000: 2e-5}),
        # the paper's batch of 128: its 1.6e-4.
        ("gin/bair_hier.gin", ["train.batch_size = 128"], {0: 2e-5, 6760: 1.6e-4}),
    ],
)
def test_learning_rate_follows_the_global_batch(path, bindings, expected):
    gin.parse_config_files_and_bindings([path], bindings)
    optimizer = vrnn_tf.build_optimizer()
    np.testing.assert_allclose(
        _learning_rates(optimizer, expected), list(expected.values()), rtol=1e-6
    )


def test_paper_optimizer_is_adam_with_coupled_l2_decay():
    gin.parse_config_file("gin/bair_hier.gin")
    optimizer = vrnn_tf.build_optimizer()
    assert isinstance(optimizer, AdamL2)
    assert (optimizer.beta_1, optimizer.beta_2, optimizer.epsilon) == (0.5, 0.9, 1e-8)
    assert optimizer.l2_weight_decay == 1e-4 and not optimizer.weight_decay
    gin.bind_parameter("build_optimizer.weight_decay_mode", "decoupled")
    decoupled = vrnn_tf.build_optimizer()
    assert isinstance(decoupled, keras.optimizers.AdamW) and decoupled.weight_decay == 1e-4
    with pytest.raises(ValueError, match="weight_decay_mode"):
        vrnn_tf.build_optimizer(weight_decay_mode="l2")


def test_an_unknown_global_batch_is_a_clear_error():
    with pytest.raises(ValueError, match="global batch size"):
        vrnn_tf.build_optimizer()
