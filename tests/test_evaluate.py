"""The evaluation protocol: best-of-N, a tiny trained workdir end to end, resume, errors."""

import csv
import functools
import json
import os
import subprocess
import sys

import gin
import numpy as np
import pytest
from PIL import Image

from data_prep import command_line
from vrnn_tf import saved_model
from vrnn_tf import workdirs
from vrnn_tf.evaluation import model_evaluation
from vrnn_tf.evaluation import protocol
from vrnn_tf.evaluation import scoring

from conftest import REPO
from conftest import TINY_EVAL_GIN
from conftest import cli_env


def test_best_of_n_matches_a_direct_computation():
    rng = np.random.default_rng(0)
    per_frame = rng.uniform(size=(5, 7, 4))
    for higher in (True, False):
        index, curve = scoring.best_of_n(per_frame, higher)
        for b in range(5):
            means = [per_frame[b, n].mean() for n in range(7)]
            expected = int(np.argmax(means) if higher else np.argmin(means))
            assert index[b] == expected
            np.testing.assert_array_equal(curve[b], per_frame[b, expected])


def test_a_sample_equal_to_the_truth_is_chosen_by_every_metric():
    rng = np.random.default_rng(1)
    truth = rng.uniform(size=(2, 3, 32, 32, 1)).astype(np.float32)
    samples = np.clip(truth[:, None] + rng.normal(scale=0.3, size=(2, 4, 3, 32, 32, 1)), 0, 1)
    planted = [2, 0]
    for b, n in enumerate(planted):
        samples[b, n] = truth[b]
    scores = scoring.score_samples(truth, samples.astype(np.float32))
    for name, value in (("ssim", 1.0), ("psnr", np.inf), ("lpips", 0.0)):
        index, curve = scoring.best_of_n(scores[name], scoring.HIGHER_IS_BETTER[name])
        assert index.tolist() == planted, name
        if np.isinf(value):
            assert np.all(np.isinf(curve))
        else:
            np.testing.assert_allclose(curve, value, atol=1e-5)


def test_futures_are_drawn_in_calls_of_one_shape():
    calls = []

    def sample(context, seed):  # 3 futures per context; each names its context, call and row
        calls.append((context.shape, seed))
        rows = np.arange(3)[None, :] + 10 * context[:, :1, 0, 0, 0]  # [G, 3]
        return (rows + 1000 * len(calls))[:, :, None, None, None, None]

    context = np.arange(5, dtype=np.float32).reshape(5, 1, 1, 1, 1)  # 5 contexts
    futures = protocol.draw_futures(sample, context, 7, contexts_per_call=2, seed=4)
    assert futures.shape == (5, 7, 1, 1, 1, 1)
    # 3 groups of 2 contexts (the last padded) x 3 rounds of 3 futures, the last cut to 1.
    assert [shape[0] for shape, _ in calls] == [2] * 9
    assert len({seed for _, seed in calls}) == 9
    values = futures[:, :, 0, 0, 0, 0]
    np.testing.assert_array_equal(values % 1000 // 10, np.arange(5)[:, None] * np.ones(7))
    assert len(np.unique(values)) == 35  # no future repeated
    # The same seed, the same calls.
    again = protocol.draw_futures(sample, context, 7, contexts_per_call=2, seed=4)
    assert [seed for _, seed in calls[9:]] == [seed for _, seed in calls[:9]]
    np.testing.assert_array_equal(again % 1000, futures % 1000)

    assert protocol.calls_shape(100, 8, 50) == (1, 50)
    assert protocol.calls_shape(2, 8, 5) == (2, 2)
    contexts, samples = protocol.calls_shape(100, 256, protocol.DEFAULT_FUTURES_PER_CALL)
    assert contexts * samples <= 800 and samples == 100  # 256 x 100 is never one call


def test_tiny_model_evaluates_end_to_end_and_resumes(tiny_workdir, monkeypatch):
    workdir, kernel = tiny_workdir
    # The evaluated model must hold the checkpoint's weights, not fresh ones.
    built = []
    real_build = model_evaluation.configurables.build_model

    @functools.wraps(real_build)
    def build_and_remember():
        built.append(real_build())
        return built[-1]

    monkeypatch.setattr(model_evaluation.configurables, "build_model", build_and_remember)
    settings = dict(num_samples=2, num_sequences=2, future_frames=7, fvd_repeats=2, chunk_size=1)
    results = model_evaluation.evaluate(workdir, **settings)
    out = os.path.join(workdir, "eval_test")  # the default: WORKDIR/eval_<train.eval_split>
    for name in ("results.json", "curves.csv", "curves.png", "samples.gif", "command.txt"):
        assert os.path.exists(os.path.join(out, name)), name
    saved = json.load(open(os.path.join(out, "results.json")))
    assert saved["settings"]["checkpoint_step"] == 7
    assert (
        saved["settings"]["fvd_with_context"] is True and saved["settings"]["fvd_clip_frames"] == 9
    )
    assert "include the context frames" in saved["metric_definitions"]["fvd"]
    assert saved["num_sequences"] == 2 and len(saved["fvd"]["repeats"]) == 2
    assert (
        # An untrained model: SSIM near 0, of either sign.
        -1 <= saved["ssim"]["mean"] <= 1
        and saved["lpips"]["mean"] > 0
        and saved["psnr"]["mean"] > 0
    )
    assert np.isfinite(saved["fvd"]["mean"]) and saved["fvd"]["std"] >= 0
    rows = list(csv.DictReader(open(os.path.join(out, "curves.csv"))))
    assert [int(r["predicted_step"]) for r in rows] == list(range(1, 8))
    np.testing.assert_allclose(
        np.mean([float(r["ssim"]) for r in rows]), saved["ssim"]["mean"], rtol=1e-4
    )
    assert len(built) == 1
    np.testing.assert_array_equal(built[0].renderer.trainable_weights[0].numpy(), kernel)
    gif = Image.open(os.path.join(out, "samples.gif"))
    assert gif.n_frames == 9  # 2 context + 7 predicted
    # 2 sequences in rows, truth + 2 samples in columns: 32 px frames with a 1 px border,
    # 2 px gaps around every tile (visualize.animation_grid).
    assert gif.size == (3 * (34 + 2) + 2, 2 * (34 + 2) + 2)

    # A rerun with the same settings reuses every chunk's partial result (no model is built).
    def must_not_run(*args):
        raise AssertionError("chunk recomputed")

    monkeypatch.setattr(protocol, "evaluate_chunk", must_not_run)
    again = model_evaluation.evaluate(workdir, **settings)
    assert again["ssim"] == results["ssim"] and again["fvd"] == results["fvd"]
    assert len(built) == 1
    assert len(os.listdir(os.path.join(out, "partial"))) == 2


def test_settings_that_cannot_give_an_fvd_fail_before_any_work(tmp_path):
    (tmp_path / "config.gin").write_text(TINY_EVAL_GIN)
    # Only its name is read before the checks below; no model is built.
    os.makedirs(tmp_path / "checkpoints")
    (tmp_path / "checkpoints" / "ckpt-00000001.keras").write_text("")
    with pytest.raises(ValueError, match="at least 2 sequences"):
        model_evaluation.evaluate(str(tmp_path), num_sequences=1, future_frames=7)
    with pytest.raises(ValueError, match="too short for I3D"):
        model_evaluation.evaluate(str(tmp_path), future_frames=6)
    with pytest.raises(ValueError, match="too short for I3D"):
        model_evaluation.evaluate(str(tmp_path), future_frames=8, fvd_with_context=False)
    with pytest.raises(command_line.UsageError, match="futures_per_call must be >= 1"):
        model_evaluation.evaluate(str(tmp_path), future_frames=7, futures_per_call=0)


def test_data_settings_are_checked_before_any_work(tmp_path):
    (tmp_path / "config.gin").write_text(TINY_EVAL_GIN)
    os.makedirs(tmp_path / "checkpoints")
    (tmp_path / "checkpoints" / "ckpt-00000001.keras").write_text("")  # never read
    with pytest.raises(command_line.UsageError, match=r"yields 64x64 frames .* built for 32x32"):
        model_evaluation.evaluate(str(tmp_path), gin_bindings=["smmnist_dataset.image_size = 64"])
    missing = tmp_path / "no_bair_here"
    with pytest.raises(
        command_line.UsageError, match=r"no_bair_here \(bair_dataset.data_dir\) does not"
    ):
        model_evaluation.evaluate(
            str(tmp_path),
            future_frames=7,
            gin_bindings=["train.dataset = @bair_dataset", f"bair_dataset.data_dir = '{missing}'"],
        )
    assert not os.path.exists(tmp_path / "eval_test")  # nothing written


def test_a_saved_model_evaluates_like_its_checkpoint(tiny_workdir, tmp_path):
    workdir, _ = tiny_workdir
    model, step, gin_config = workdirs.load_trained_model(workdir)
    export_path = str(tmp_path / "saved_model")
    saved_model.export_saved_model(model, export_path, gin_config, step)
    gin.clear_config()
    exported = saved_model.ExportedModel(export_path)
    context = np.random.default_rng(3).uniform(size=(2, 2, 32, 32, 1)).astype("float32")
    from_export = exported.generate(context, 3, num_samples=2, seed=4)
    assert from_export.shape == (2, 2, 3, 32, 32, 1)
    # The same noise as the model's own generate; the export reads gray context through
    # rgb_to_grayscale (weights summing to 0.9999) and runs as a graph.
    np.testing.assert_allclose(
        from_export, np.asarray(model.generate(context, 3, num_samples=2, seed=4)), atol=1e-3
    )

    # So the protocol's samples are the checkpoint's; it runs on the export's endpoint.
    settings = dict(num_samples=2, num_sequences=2, future_frames=7, fvd_repeats=1)
    results = model_evaluation.evaluate(
        saved_model=export_path, out=str(tmp_path / "b"), **settings
    )
    gin.clear_config()
    assert results["settings"]["saved_model"] == os.path.abspath(export_path)
    assert results["settings"]["workdir"] is None and results["settings"]["checkpoint_step"] == 7
    for name in ("results.json", "curves.csv", "curves.png", "samples.gif"):
        assert os.path.isfile(tmp_path / "b" / name), name
    assert -1 <= results["ssim"]["mean"] <= 1 and np.isfinite(results["fvd"]["mean"])
    with pytest.raises(command_line.UsageError, match="Give --workdir .* or --saved_model"):
        model_evaluation.evaluate(workdir, saved_model=export_path)


@pytest.mark.slow  # a benchmark's equivalence, not the library's: `make test-all`
def test_the_benchmark_of_the_python_loop_evaluates_what_evaluate_does(tiny_workdir, tmp_path):
    """bench/evaluation.py --python_loop (the before of docs/PERFORMANCE.md's protocol times)
    draws the Sampler's futures with generate's loop: the same scores as vrnn_tf.evaluate."""
    workdir, _ = tiny_workdir
    settings = dict(num_samples=2, num_sequences=2, future_frames=7, fvd_repeats=1)
    flags = [f"--{name}={value}" for name, value in settings.items()]
    script = os.path.join(REPO, "bench", "evaluation.py")
    command = [sys.executable, script, f"--workdir={workdir}", f"--out={tmp_path / 'loop'}"]
    result = subprocess.run(
        command + flags + ["--python_loop"],
        capture_output=True,
        text=True,
        timeout=300,
        env=cli_env(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loop = json.loads(result.stdout.strip().splitlines()[-1])
    assert loop["method"] == "python loop (generate)" and loop["protocol_seconds"] > 0
    assert (loop["sequences"], loop["samples"], loop["future_frames"]) == (2, 2, 7)

    compiled = model_evaluation.evaluate(workdir, out=str(tmp_path / "sampler"), **settings)
    gin.clear_config()
    for name in ("ssim", "psnr", "lpips"):
        np.testing.assert_allclose(loop[name], compiled[name]["mean"], atol=2e-4, err_msg=name)
    np.testing.assert_allclose(loop["fvd"], compiled["fvd"]["mean"], rtol=1e-3)
