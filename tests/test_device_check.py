"""bench/device_check.py: its dry run does every part on the CPU as the GPU box would (JAX, no
TensorFlow), and parts that do not fit their time budget are stopped or skipped, not waited for."""

import json
import os
import subprocess
import sys

import gin
import pytest

from bench import device_check_settings as settings  # flag-free, unlike the script
from vrnn_tf import cli
from vrnn_tf import configurables

from conftest import REPO


def device_check(out, *flags, timeout):
    result = subprocess.run(
        [sys.executable, "bench/device_check.py", f"--out={out}", *flags],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=REPO),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with open(os.path.join(out, "device_check.jsonl")) as f:
        return {line["part"]: line for line in map(json.loads, f)}


@pytest.mark.slow  # four JAX compilations of the toy model, 4-12 minutes
def test_dry_run_measures_every_part_without_tensorflow(tmp_path):
    lines = device_check(tmp_path, "--dry_run", timeout=800)
    assert lines["machine"]["platform"] == "cpu" and lines["machine"]["dry_run"]
    for part in settings.PARTS:
        assert lines[part]["status"] == "ok", lines[part]
        assert os.path.isfile(tmp_path / f"{part}.log")
    for part, precision in (("train_bf16", "mixed_bfloat16"), ("train_f32", "float32")):
        train = lines[part]
        assert train["precision"] == precision and train["backend"] == "jax"
        assert train["ms_per_step"] > 0 and train["sequences_per_second"] > 0
        assert train["model_tflops_per_step"] > 0 and train["compile_seconds"] > 0
        # XLA's plan of the step: the planned peak holds at least the state passed in.
        assert train["planned_peak_gib"] >= train["planned_arguments_gib"] > 0
        assert "over_release_bf16_h100" in train
    sampling = lines["sampling"]
    assert sampling["frames"] == 2 * 2 * 3 and sampling["frames_per_second"] > 0
    assert sampling["bair_protocol_minutes"] > 0 and "meets_protocol_goal" in sampling
    cli = lines["train_cli"]
    assert cli["steps"] == 4 and cli["steady_sequences_per_second"] > 0
    assert sorted(cli["checkpoints"]) == ["ckpt-00000002.keras", "ckpt-00000004.keras"]
    assert lines["total"]["seconds"] < settings.DRY_RUN_TOTAL_BUDGET


def test_parts_over_their_budget_are_stopped_or_skipped(tmp_path):
    # Budgets of a few seconds: the first part is stopped at its budget, the last skipped.
    lines = device_check(tmp_path, "--dry_run", "--budget_scale=0.02", timeout=120)
    assert lines["train_bf16"]["status"] == "timeout"
    assert "stopped at its budget" in lines["train_bf16"]["message"]
    last = lines[settings.PARTS[-1]]
    assert last["status"] == "skipped" and "s left" in last["message"]
    assert all(lines[part]["status"] in ("timeout", "skipped") for part in settings.PARTS)


@pytest.mark.parametrize(
    "gin_file, bindings",
    [
        (settings.GIN_FILE, settings.DRY_RUN_BINDINGS),
        (settings.SVG_GIN_FILE, settings.SVG_DRY_RUN_BINDINGS),
    ],
)
def test_the_dry_run_models_build(gin_file, bindings):
    """The toy bindings pass the models' own checks (e.g. GroupNorm group sizes), so that
    the dry run, slow and seldom run, cannot fail where a build would have said why."""
    gin.clear_config()
    # As the entry points that the dry run calls parse them.
    cli.parse_gin([gin_file], bindings)
    try:
        assert configurables.build_model().count_params() > 0
    finally:
        gin.clear_config()
