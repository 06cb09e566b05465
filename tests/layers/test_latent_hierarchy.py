import keras
import numpy as np
import pytest

from tests.layers import layer_testing
from vrnn_tf.layers import LatentHierarchy


def make_hierarchy(connectivity="dense"):
    return LatentHierarchy(
        resolutions=(1, 2, 4),
        latent_channels=(4, 3, 4),
        hidden_channels=(8, 8, 8),
        connectivity=connectivity,
        lstm_norm_groups=1,
        init_norm_groups=1,
    )


def context_and_noise(seed=0, shift_level_0_noise=0.0):
    rng = np.random.default_rng(seed)
    context = [rng.normal(size=(2, 2, r, r, 4)).astype("float32") for r in (1, 2, 4)]
    noise = [
        rng.normal(size=(2, 3, r, r, z)).astype("float32") for r, z in zip((1, 2, 4), (4, 3, 4))
    ]
    noise[0] = noise[0] + shift_level_0_noise
    return context, noise


def call_from_context(hierarchy, features, context, noise, posterior=True):
    """The hierarchy's call from the initial states its own nets make of the context."""
    states = hierarchy.initial_states(context, posterior=posterior)
    return hierarchy(features, states, noise, posterior_features=features if posterior else None)


def run(hierarchy, features, seed=0, posterior=True, shift_level_0_noise=0.0):
    context, noise = context_and_noise(seed, shift_level_0_noise)
    return call_from_context(hierarchy, features, context, noise, posterior)


def features(seed=1):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(2, 3, r, r, 4)).astype("float32") for r in (1, 2, 4)]


@pytest.mark.parametrize("connectivity", ["dense", "chain"])
def test_shapes_of_both_modes_config_and_precision(connectivity):
    hierarchy = make_hierarchy(connectivity)
    samples = [(2, 3, 1, 1, 4), (2, 3, 2, 2, 3), (2, 3, 4, 4, 4)]
    gaussians = [(shape, shape) for shape in samples]  # (mean, scale) per level
    states = [((2, r, r, 8), (2, r, r, 8)) for r in (1, 2, 4)]
    expected = dict(
        samples=samples,
        prior=gaussians,
        posterior=gaussians,
        states=dict(prior=states, posterior=states),
    )
    _, mixed = layer_testing.check_layer(
        hierarchy, (features(), *context_and_noise()), expected, call=call_from_context
    )
    # mixed_bfloat16: the Gaussians' parameters and the samples drawn from them stay float32.
    for kind in ("samples", "prior", "posterior"):
        assert set(keras.tree.flatten(layer_testing.output_dtypes(mixed[kind]))) == {"float32"}
    sampled = run(hierarchy, features(), posterior=False)
    assert sampled["posterior"] == [] and len(sampled["samples"]) == 3


def _set_head_gain(levels, value):
    # The heads start at gain 0 (mean and scale independent of the input); 1 makes them
    # depend on it, 0 again makes a level's sample independent of everything it reads.
    for level in levels:
        level.head_norm.gamma.assign(np.full(level.head_norm.gamma.shape, value, "float32"))


def _differs(a, b, kind, level):
    return not np.allclose(np.asarray(a[kind][level][0]), np.asarray(b[kind][level][0]))


@pytest.mark.parametrize(
    "connectivity, reaches_level_1, reaches_level_2_directly",
    [("dense", True, True), ("chain", True, False), ("none", False, False)],
)
def test_what_the_noise_of_level_0_reaches(connectivity, reaches_level_1, reaches_level_2_directly):
    hierarchy = make_hierarchy(connectivity)
    run(hierarchy, features())  # build
    _set_head_gain(hierarchy.prior_levels + hierarchy.posterior_levels, 1.0)
    a = run(hierarchy, features())
    b = run(hierarchy, features(), shift_level_0_noise=2.0)  # only level 0's sample changes
    assert _differs(a, b, "posterior", 0) is False  # its own distribution: same inputs
    for kind in ("prior", "posterior"):
        assert _differs(a, b, kind, 1) == reaches_level_1, kind
        assert _differs(a, b, kind, 2) == reaches_level_1, kind  # through level 1 at least
    # With level 1's sample independent of its inputs, what still reaches level 2 from
    # level 0 comes by a direct (dense) link, not through level 1.
    _set_head_gain([hierarchy.prior_levels[1], hierarchy.posterior_levels[1]], 0.0)
    a = run(hierarchy, features())
    b = run(hierarchy, features(), shift_level_0_noise=2.0)
    np.testing.assert_array_equal(np.asarray(a["samples"][1]), np.asarray(b["samples"][1]))
    for kind in ("prior", "posterior"):
        assert _differs(a, b, kind, 2) == reaches_level_2_directly, kind


@pytest.mark.parametrize(
    "connectivity, level_inputs", [("dense", [4, 8, 11]), ("chain", [4, 8, 7]), ("none", [4, 4, 4])]
)
def test_each_level_reads_the_samples_its_connectivity_names(connectivity, level_inputs):
    # Encoder features of 4 channels, plus the latent channels (4, 3) of the levels read.
    hierarchy = make_hierarchy(connectivity)
    run(hierarchy, features())
    for levels in (hierarchy.prior_levels, hierarchy.posterior_levels):
        assert [lv.input_projection.kernel.shape[-2] for lv in levels] == level_inputs


def test_inconsistent_settings_are_clear_errors():
    with pytest.raises(ValueError, match="one entry per level"):
        LatentHierarchy(resolutions=(1, 8), latent_channels=(2,), hidden_channels=(8, 8))
    with pytest.raises(ValueError, match="coarse to fine"):
        LatentHierarchy(resolutions=(8, 1), latent_channels=(2, 2), hidden_channels=(8, 8))
    with pytest.raises(ValueError, match="none repeated"):
        LatentHierarchy(resolutions=(4, 4), latent_channels=(2, 2), hidden_channels=(8, 8))
    with pytest.raises(ValueError, match="connectivity"):
        LatentHierarchy(connectivity=False)
