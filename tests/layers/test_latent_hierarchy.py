import numpy as np
import pytest

from vrnn_tf.layers import LatentHierarchy


def make_hierarchy(dense=True):
    return LatentHierarchy(
        resolutions=(1, 2, 4),
        latent_channels=(2, 3, 4),
        hidden_channels=(8, 8, 8),
        dense=dense,
        lstm_norm_groups=4,
    )


def run(hierarchy, features, seed=0, posterior=True):
    rng = np.random.default_rng(seed)
    context = [rng.normal(size=(2, 2, r, r, 4)).astype("float32") for r in (1, 2, 4)]
    noise = [
        rng.normal(size=(2, 3, r, r, z)).astype("float32")
        for r, z in zip((1, 2, 4), (2, 3, 4))
    ]
    states = hierarchy.initial_states(context, posterior=posterior)
    return hierarchy(features, states, noise, posterior_features=features if posterior else None)


def features(seed=1):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(2, 3, r, r, 4)).astype("float32") for r in (1, 2, 4)]


def test_shapes_of_both_modes():
    hierarchy = make_hierarchy()
    out = run(hierarchy, features())
    assert [tuple(z.shape) for z in out["samples"]] == [
        (2, 3, 1, 1, 2), (2, 3, 2, 2, 3), (2, 3, 4, 4, 4)
    ]
    assert len(out["prior"]) == len(out["posterior"]) == 3
    sampled = run(hierarchy, features(), posterior=False)
    assert sampled["posterior"] == [] and len(sampled["samples"]) == 3


def _perturb_top_level_only(hierarchy):
    # Make level 0's posterior mean depend on its input (its head starts at gain 0).
    norm = hierarchy.posterior_levels[0].head_norm
    norm.gamma.assign(np.ones(norm.gamma.shape, "float32"))


@pytest.mark.parametrize("dense", [True, False])
def test_dense_connectivity_switch(dense):
    # With dense connectivity, changing level 0's input changes the finer
    # levels' prior and posterior at the same step; without it, it does not.
    hierarchy = make_hierarchy(dense)
    run(hierarchy, features())  # build
    _perturb_top_level_only(hierarchy)
    for level in hierarchy.prior_levels + hierarchy.posterior_levels:
        level.head_norm.gamma.assign(np.ones(level.head_norm.gamma.shape, "float32"))
    base, changed = features(), features()
    changed[0] = changed[0] + 3.0
    a, b = run(hierarchy, base), run(hierarchy, changed)
    for level in (1, 2):
        for kind in ("prior", "posterior"):
            differs = not np.allclose(np.asarray(a[kind][level][0]), np.asarray(b[kind][level][0]))
            assert differs == dense, (kind, level)


def test_inconsistent_settings_are_clear_errors():
    with pytest.raises(ValueError, match="one entry per level"):
        LatentHierarchy(resolutions=(1, 8), latent_channels=(2,), hidden_channels=(8, 8))
    with pytest.raises(ValueError, match="coarse to fine"):
        LatentHierarchy(resolutions=(8, 1), latent_channels=(2, 2), hidden_channels=(8, 8))


def test_config_round_trip():
    hierarchy = make_hierarchy(dense=False)
    clone = LatentHierarchy.from_config(hierarchy.get_config())
    assert clone.get_config() == hierarchy.get_config()
