"""The same model trains with `model.fit` on the JAX backend, from numpy input
(tests/jax_checks.py, run by the `jax_report` fixture)."""


def test_two_training_steps_on_jax(jax_report):
    report = jax_report["training"]
    assert report["steps"] == 2  # two batches of 2
    assert report["moved"] > 1e-5
    for name in ("loss", "nll", "kl_level_0", "kl_level_1", "beta"):
        assert all(map(lambda v: v == v and abs(v) < 1e9, report["history"][name])), name
