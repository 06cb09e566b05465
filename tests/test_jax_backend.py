"""The same model trains with `model.fit` on the JAX backend, from numpy input
(tests/jax_checks.py, run by the `jax_report` fixture)."""

import numpy as np


def test_two_training_steps_on_jax(jax_report):
    report = jax_report["training"]
    assert report["steps"] == 2  # two batches of 2
    # The step minimises HierarchicalVRNN.objective (traced once per compiled step).
    assert report["objective_calls_in_training"] >= 1
    assert report["moved"] > 1e-5
    for name in ("loss", "reconstruction", "kl_level_0", "kl_level_1", "beta"):
        assert all(map(lambda v: v == v and abs(v) < 1e9, report["history"][name])), name
    assert report["history"]["nonfinite_steps"] == [0.0]
    # Both steps at the constant LR of 1e-3 (the warmup starts and peaks there).
    np.testing.assert_allclose(report["history"]["learning_rate"], [1e-3], rtol=1e-6)
    assert report["history"]["gradient_norm"][0] > 0


def test_data_parallel_over_two_devices_equals_one_device(jax_report):
    # `--strategy=mirrored` on JAX: one program over the global batch, sharded by Keras.
    report = jax_report["data_parallel"]
    assert report["devices"] == 2
    assert report["moved"] > 1e-4
    # Float32 sums in another order. Adam normalises each update, so an entry whose gradient
    # is near 0 can move by up to lr per step in either run (seen: 8.6e-5 in one of four
    # runs): a handful of entries may differ, none by more than the two steps' 2e-3. A wrong
    # sharding moves nearly every entry.
    assert report["mismatched"] < 1e-3, report
    assert report["difference"] < 2e-3


def test_a_nan_step_is_skipped_on_jax(jax_report):
    """As on TensorFlow (tests/test_train_reliability.py): no weight or optimizer slot moves,
    the step is counted, and both step counters (the data, beta and the learning rate follow
    them) advance."""
    report = jax_report["training"]["nan_step"]
    assert report["changed_variables"] == 0
    assert report["all_finite"]
    assert report["nonfinite_steps"] == 1.0
    assert report["steps"] == 3
    # The learning rate's counter advanced with beta's: the schedules stay in step.
    assert report["optimizer_iterations"] == 3


def test_an_action_model_trains_and_follows_its_actions_on_jax(jax_report):
    # As tests/test_actions.py on TensorFlow: the compiled sampler (one lax.scan) reads the
    # action of each predicted frame, and none after the horizon.
    report = jax_report["actions"]
    assert all(np.isfinite(report["loss"]))
    assert report["after_horizon_diff"] == 0.0
    moved = report["within_horizon_moved"]
    assert moved[0] == 0.0 and moved[1] > 1e-4 and moved[2] > 1e-4, moved


def test_adam_l2_matches_torch_adam_on_jax(jax_report):
    # As tests/test_optimizers.py on TensorFlow: float32 against float64.
    report = jax_report["adam_l2"]
    assert report["max_error_over_scale"] < 1e-6
    assert report["moved"] > 0


def test_svg_lp_trains_and_samples_on_jax(jax_report):
    # Every weight moves, and so does every BatchNorm's moving mean: Keras's stateless JAX
    # step hands the non-trainable state back.
    report = jax_report["svg_lp"]
    assert report["steps"] == 2 and all(np.isfinite(report["loss"]))
    assert report["trainable_moved"] == report["trainable"]
    assert report["moving_means_moved"] == report["moving_means"] > 0
    assert report["sample_shape"] == [2, 2, 3, 16, 16, 1]
    assert report["same_seed_diff"] == 0.0 and report["in_range"]
