"""data_prep/tf_logs.py: which command lines are quiet, at which level, and the stderr filter."""

import os
import sys

import pytest

from data_prep import tf_logs

CUDA_PROBE = (
    "E0000 00:00:1796160258.222924    8698 cuda_platform.cc:52] failed call to cuInit: "
    "INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)\n"
)
STUB = (
    "I0000 00:00:1796160241.634371    8698 cudart_stub.cc:31] Could not find cuda drivers "
    "on your machine, GPU will not be used.\n"
)
GRAPPLER = (
    "W1201 21:28:14.092493 140704109923200 dataset.cc:997] Input of "
    "GeneratorDatasetOp::Dataset will not be optimized\n"
)
BANNER = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"


@pytest.mark.parametrize(
    "argv, verbosity",
    [
        (["--workdir=x"], None),
        (["--verbosity=0"], 0),
        (["--verbosity", "-1"], -1),
        (["-v", "2", "--workdir=x"], 2),
        (["-v=1"], 1),
        (["--v=-2"], -2),
        (["--verbosity=debug"], None),  # not an int: absl reports it
    ],
)
def test_verbosity_is_read_from_the_command_line(argv, verbosity):
    assert tf_logs.verbosity_from_argv(argv) == verbosity


def test_level_follows_verbosity_then_the_environment(monkeypatch):
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    assert tf_logs.native_level() == 3  # the default: no native line
    assert [tf_logs.native_level(v) for v in (-3, -2, -1, 0, 1)] == [3, 2, 1, 0, 0]
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "1")
    assert tf_logs.native_level() == 1 and tf_logs.native_level(0) == 0


def test_native_lines_are_hidden_below_the_level():
    for line, severity in ((STUB, 0), (GRAPPLER, 1), (BANNER, 1), (CUDA_PROBE, 2)):
        assert tf_logs.is_native_log_line(line, severity + 1)
        assert not tf_logs.is_native_log_line(line, severity)
    for line in ("UserWarning: something\n", "step 1/2 | loss 3\n", "E0000 not a log line\n"):
        assert not tf_logs.is_native_log_line(line, 3)


def test_filter_catches_what_native_code_writes_to_file_descriptor_2(capfd):
    with tf_logs._filtered_stderr(level=3):
        os.write(2, (BANNER + STUB + "a Python warning\n" + CUDA_PROBE).encode())
    assert capfd.readouterr().err == "a Python warning\n"
    with tf_logs._filtered_stderr(level=2):
        os.write(2, (STUB + GRAPPLER + CUDA_PROBE).encode())
    assert capfd.readouterr().err == CUDA_PROBE


@pytest.mark.parametrize(
    "orig_argv, module",
    [
        (["python", "-m", "vrnn_tf.train", "--workdir=x"], "vrnn_tf.train"),
        (["python", "-u", "-W", "ignore", "-m", "data_prep.videos"], "data_prep.videos"),
        (["python", "-mvrnn_tf.evaluate"], "vrnn_tf.evaluate"),
        (["python", "tools/count_parameters.py", "-m", "x"], None),
        (["python", "-c", "import vrnn_tf"], None),
        (["python"], None),
    ],
)
def test_the_module_of_python_dash_m(orig_argv, module):
    assert tf_logs._module_run_with_dash_m(orig_argv) == module


def test_only_the_projects_programs_are_quieted(monkeypatch):
    calls = []
    monkeypatch.setattr(tf_logs, "quiet", calls.append)
    for orig_argv, argv in (
        (["python", "-m", "pytest", "-q"], ["pytest", "-q"]),
        (["python", "notebook.py"], ["notebook.py"]),
        (["python", "-m", "vrnn_tf.train", "-v", "0"], ["-m", "-v", "0"]),
        (["python", "/venv/bin/vrnn-predict"], ["/venv/bin/vrnn-predict"]),
    ):
        monkeypatch.setattr(sys, "orig_argv", orig_argv)
        monkeypatch.setattr(sys, "argv", argv)
        tf_logs.quiet_if_command_line()
    assert calls == [0, None]
    # A converter's reader process has its parent's argv; it needs no TensorFlow.
    monkeypatch.setattr(tf_logs.multiprocessing, "parent_process", lambda: object())
    tf_logs.quiet_if_command_line()
    assert calls == [0, None]
