"""One sampling loop: the compiled JAX Sampler equals a step-by-step loop with the documented
noise; evaluation on JAX scores its samples as TensorFlow does, and as `vrnn_tf.score` on JAX
does; XLA agrees with
vrnn_tf.analysis.flops.
On TensorFlow the same loop runs in `generate` (tests/test_model.py), the SavedModel
(tests/test_export.py: equal to eager `generate`) and the evaluation's Sampler
(tests/test_evaluate.py)."""

import glob
import os

import numpy as np

from vrnn_tf.evaluation import scoring


def test_sampler_equals_step_by_step_generation_and_xla_counts_match(jax_report):
    # tests/jax_checks.py, on the JAX backend.
    report = jax_report["sampling"]
    assert report["shape"] == [2, 2, 7, 32, 32, 1]
    assert report["in_range"]
    # One jitted lax.scan against one jitted step per frame: float32 reassociation only.
    assert report["max_diff"] < 1e-5
    assert report["same_seed_diff"] == 0.0
    assert report["differs"] > 1e-3  # a call without a seed draws new noise
    # XLA counts a multiply-add as 2 FLOPs over in-bounds taps, as vrnn_tf.analysis.flops does.
    assert jax_report["conv"][0] == jax_report["conv"][1]
    assert jax_report["up"][0] == jax_report["up"][1]
    assert jax_report["tensorflow_imported"] == []  # as on the GPU box, which has none


def test_evaluation_on_jax_scores_its_samples_as_tensorflow_does(jax_report):
    """The JAX run's best-of-N curves, recomputed here on TensorFlow from the samples it saved
    (all of them: 3 sequences x 2 samples fit in its GIF arrays)."""
    report = jax_report["evaluation"]
    results = report["results"]
    assert results["num_sequences"] == 3 and results["settings"]["backend"] == "jax"
    assert np.isfinite(results["fvd"]["mean"])
    for name in ("results.json", "curves.csv", "curves.png", "samples.gif"):
        assert os.path.isfile(os.path.join(report["out"], name)), name
    parts = [dict(np.load(p)) for p in sorted(glob.glob(f"{report['out']}/partial/*.npz"))]
    assert [len(p["ssim_curve"]) for p in parts] == [3]  # one chunk
    clips = np.concatenate([p["gif_clips"] for p in parts])  # [3, 2 + 7, 32, 32, 1]
    samples = np.concatenate([p["gif_samples"] for p in parts])  # [3, 2, 7, 32, 32, 1]
    assert samples.shape == (3, 2, 7, 32, 32, 1)
    assert np.abs(samples[:, 0] - samples[:, 1]).max() > 1e-3  # two futures, not one twice
    scores = scoring.score_samples(clips[:, 2:], samples)
    for name, higher in scoring.HIGHER_IS_BETTER.items():
        index, curve = scoring.best_of_n(scores[name], higher)
        chosen = np.concatenate([p[f"{name}_best_index"] for p in parts])
        np.testing.assert_array_equal(chosen, index)
        np.testing.assert_allclose(
            np.concatenate([p[f"{name}_curve"] for p in parts]), curve, rtol=1e-4, atol=1e-5
        )
        np.testing.assert_allclose(results[name]["mean"], curve.mean(), rtol=1e-4, atol=1e-6)
    # vrnn_tf.score on JAX, without TensorFlow, scores those samples as the evaluation did.
    scored = report["scored"]
    assert scored["settings"]["backend"] == "jax" and scored["num_sequences"] == 3
    for name in scoring.METRICS:
        np.testing.assert_allclose(scored[name]["mean"], results[name]["mean"], rtol=1e-6)
    np.testing.assert_allclose(scored["fvd"]["repeats"], results["fvd"]["repeats"], rtol=1e-6)
