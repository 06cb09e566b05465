"""`python -m vrnn_tf.analyze_kl`: PNG and JSON of a trained run, and clear errors."""

import json
import os
import re
import shutil

import gin
import numpy as np
from PIL import Image

from data_prep import command_line
from vrnn_tf import analyze_kl


def run_main(*args):
    """The command in this process (no second TensorFlow start-up); returns its exit status."""
    try:
        return command_line.execute(analyze_kl.main, analyze_kl.define_flags, list(args))
    finally:
        gin.clear_config()


def test_writes_figure_and_json_of_a_trained_run(tiny_train_run, tmp_path, capsys):
    workdir, trained = tiny_train_run
    assert trained.returncode == 0, trained.stderr[-3000:]
    out = str(tmp_path / "kl")
    assert run_main(f"--workdir={workdir}", "--num_sequences=3", f"--out={out}") == 0

    report = json.load(open(f"{out}.json"))
    assert report["step"] == 2 and report["num_sequences"] == 3 and report["split"] == "test"
    assert [level["resolution"] for level in report["levels"]] == [1, 4]
    printed = capsys.readouterr().out
    for level in report["levels"]:
        kl = np.array(level["mean_kl_per_channel"])
        assert len(kl) == level["channels"] and np.all(np.isfinite(kl)) and np.all(kl >= 0)
        assert level["active"] == np.sum(kl > report["active_kl"])
        assert level["max_active"] == np.sum(kl > report["max_active_kl"])
        assert (
            f"level {level['level']} ({level['resolution']}x{level['resolution']}): "
            f"{level['active']}/{level['channels']} active" in printed
        )
    figure = np.asarray(Image.open(f"{out}.png"))
    assert figure.ndim == 3 and figure.shape[0] > 100 and figure.std() > 0
    assert sorted(os.listdir(tmp_path)) == ["kl.json", "kl.png"]  # no temporary files left


def test_missing_config_or_checkpoint_is_a_clear_error(tiny_train_run, tmp_path, capsys):
    workdir, _ = tiny_train_run
    untrained = tmp_path / "untrained"
    untrained.mkdir()

    def usage_error():
        err = capsys.readouterr().err
        assert err.startswith("usage error: "), err
        return err

    assert run_main(f"--workdir={untrained}") == command_line.EXIT_USAGE
    assert f"{untrained}/config.gin does not exist" in usage_error()
    shutil.copy(os.path.join(workdir, "config.gin"), untrained)
    assert run_main(f"--workdir={untrained}") == command_line.EXIT_USAGE
    assert re.search(r"No checkpoint \(ckpt-\*.keras\) in .*untrained", usage_error())
    assert run_main() == command_line.EXIT_USAGE
    assert "--workdir is required" in usage_error()
