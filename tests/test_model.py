import keras
import numpy as np
import pytest

import vrnn_tf
from vrnn_tf import elbo
from vrnn_tf.layers import ConvLSTM
from vrnn_tf.model import HierarchicalVRNN


def videos(batch=3, steps=5, seed=0):
    return np.random.default_rng(seed).uniform(size=(batch, steps, 16, 16, 1)).astype("float32")


def test_training_pass_returns_per_video_terms(tiny_config):
    model = vrnn_tf.build_model()
    terms = model(videos(), training=True)
    assert sorted(terms) == ["kl_level_0", "kl_level_1", "reconstruction"]
    for value in terms.values():
        assert value.shape == (3,)
        assert np.all(np.isfinite(np.asarray(value)))
    assert model.reconstruct(videos()).shape == (3, 3, 16, 16, 1)


def test_generate_shapes_range_and_seeds(tiny_config):
    model = vrnn_tf.build_model()
    context = videos(batch=2, steps=2)
    futures = np.asarray(model.generate(context, num_future=4, num_samples=3, seed=11))
    assert futures.shape == (2, 3, 4, 16, 16, 1)
    assert futures.min() >= 0.0 and futures.max() <= 1.0
    again = np.asarray(model.generate(context, num_future=4, num_samples=3, seed=11))
    other = np.asarray(model.generate(context, num_future=4, num_samples=3, seed=12))
    np.testing.assert_array_equal(futures, again)
    assert not np.allclose(futures, other)
    # The samples of one context differ from each other (the latents matter).
    for layer in model.hierarchy.prior_levels:
        layer.head_norm.gamma.assign(np.ones(layer.head_norm.gamma.shape, "float32"))
    spread = np.asarray(model.generate(context, 4, num_samples=3, seed=11))
    assert not np.allclose(spread[:, 0], spread[:, 1])


def test_generation_cost_is_linear_in_predicted_frames(tiny_config, monkeypatch):
    model = vrnn_tf.build_model()
    calls = {"n": 0}
    original = ConvLSTM.recurrent_step

    def counting(self, *args, **kwargs):
        calls["n"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ConvLSTM, "recurrent_step", counting)
    counts = {}
    for num_future in (2, 4, 8):
        calls["n"] = 0
        model.generate(videos(batch=1, steps=2), num_future=num_future, num_samples=2)
        counts[num_future] = calls["n"]
    # One step of every prior ConvLSTM and renderer ConvLSTM per predicted frame.
    per_frame = model.hierarchy.num_levels + sum(model.renderer.recurrent)
    assert counts == {2: 2 * per_frame, 4: 4 * per_frame, 8: 8 * per_frame}


def test_loss_falls_when_overfitting_one_batch(tiny_config):
    model = vrnn_tf.build_model()
    model.compile(
        optimizer=vrnn_tf.build_optimizer(
            global_batch_size=2, base_learning_rate=3e-3, peak_learning_rate=3e-3
        ),
        jit_compile=False,  # XLA compiles slowly and runs slower on a small CPU
    )
    batch = videos(batch=4, steps=4)

    def mean_loss():  # eagerly: evaluate() would trace a second graph
        return float(np.mean(elbo.negative_elbo(model(batch), model.current_beta())))

    first = mean_loss()
    model.fit(batch, batch_size=4, epochs=30, verbose=0)
    last = mean_loss()
    assert int(model.training_step.numpy()) == 30
    assert last < 0.8 * first, (first, last)


def test_wrong_shapes_are_clear_errors(tiny_config):
    model = vrnn_tf.build_model()
    with pytest.raises(ValueError, match=r"\[batch, time, 16, 16, 1\]"):
        model(np.zeros((2, 5, 32, 32, 1), "float32"))
    with pytest.raises(ValueError, match="needs at least 3"):
        model(np.zeros((2, 2, 16, 16, 1), "float32"))  # context only: nothing to predict
    with pytest.raises(ValueError, match="context has 1 frames"):
        model.generate(np.zeros((2, 1, 16, 16, 1), "float32"), num_future=3)


def test_inconsistent_architecture_is_a_clear_error(tiny_config):
    import gin

    gin.bind_parameter("latent_hierarchy.resolutions", (1, 2))
    with pytest.raises(ValueError, match="runs at 2x2"):
        vrnn_tf.build_model()


def test_config_round_trip_rebuilds_the_same_model(tiny_config):
    model = vrnn_tf.build_model()
    clone = HierarchicalVRNN.from_config(model.get_config())
    clone.build()
    assert clone.count_params() == model.count_params()
    assert (
        keras.saving.serialize_keras_object(clone)["config"]
        == keras.saving.serialize_keras_object(model)["config"]
    )
