"""Every strategy x `train.jit_compile` x precision that `python -m vrnn_tf.train` accepts, run
for two steps of the paper model at toy size, with two logical CPU devices standing in for two
GPUs: a markdown table of what each did (trained, with where XLA ran; or the error it stopped
with), and what `auto` picks where GPUs are present.

    python tools/strategy_matrix.py [--out=matrix.md]

Each combination is a fresh process (a process sets its logical devices once, before
TensorFlow starts): `default` and `mirrored` split the CPU into two logical devices;
`multi_worker` runs two worker processes on 127.0.0.1, one device each. The toy model is
bench/device_check_settings.py's dry-run model on `synthetic_dataset`, global batch 4.
"""

import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import tensorflow as tf  # noqa: E402

from bench import device_check_settings as settings  # noqa: E402
from data_prep import command_line  # noqa: E402
from vrnn_tf.backends import distribute  # noqa: E402

STRATEGIES = ("default", "mirrored", "multi_worker")
JIT_COMPILE = ("'auto'", "True", "False")  # as gin reads them
PRECISIONS = ("float32", "mixed_bfloat16")
# Rows that must stop before the build: the setting that refuses XLA.
REFUSED = ("train.run_eagerly = True", "train.deterministic_ops = True")


def define_flags(flag_values):
    define = command_line.FlagDefiner(flag_values)
    define.string("out", None, "Also write the table to this markdown file.")
    define.string("one", None, "Internal: run one combination in this process (JSON).")


def train_argv(workdir, strategy, jit_compile, precision, extra=()):
    bindings = settings.DRY_RUN_BINDINGS + [
        "train.dataset = @synthetic_dataset",
        "train.batch_size = 4",
        "train.steps = 2",
        "train.log_every = 1",
        "train.checkpoint_every = 2",
        "train.eval_sequences = 4",
        "train.eval_every = 0",
        "train.sample_every = 0",
        "train.sample_sequences = 1",
        "train.export = False",
        f"train.jit_compile = {jit_compile}",
        f"build_model.precision = '{precision}'",
        *extra,
    ]
    return [
        f"--gin_file={settings.GIN_FILE}",
        *(f"--gin_bindings={b}" for b in bindings),
        f"--workdir={workdir}",
        f"--strategy={strategy}",
    ]


def run_one(spec):
    """In this process: the logical devices, then the train command (`vrnn_tf.train`'s `main`
    with flags of its own); returns its exit status."""
    if spec["strategy"] != "multi_worker":
        tf.config.set_logical_device_configuration(
            tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2
        )
    # Imported only now: nothing of the training may set up TensorFlow's devices first.
    from vrnn_tf import train

    return command_line.execute(train.main, train.define_flags, spec["argv"])


def launch(argv, strategy, env=None):
    spec = json.dumps(dict(strategy=strategy, argv=argv))
    return subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), f"--one={spec}"],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=REPO, **(env or {})),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run_combination(root, strategy, jit_compile, precision, extra=()):
    """(returncode, the chief's log, seconds) of one combination."""
    workdir = os.path.join(root, "-".join([strategy, jit_compile, precision, str(len(extra))]))
    argv = train_argv(workdir, strategy, jit_compile, precision, extra)
    start = time.time()
    if strategy != "multi_worker":
        processes = [launch(argv, strategy)]
    else:
        cluster = distribute.local_cluster(2)
        processes = [
            launch(argv, strategy, {"TF_CONFIG": distribute.worker_tf_config(cluster, i)})
            for i in range(2)
        ]
    logs = [p.communicate(timeout=900)[0] for p in processes]
    return max(p.returncode for p in processes), logs[0], time.time() - start


def outcome(returncode, log):
    """ "trains: <what the command said it runs on>; loss A -> B", or "stops: <message>"."""
    if returncode == 0:
        where = re.search(r"Training on (.*)\.", log).group(1)
        losses = re.findall(r"\| loss ([\d.e+-]+) \|", log)
        return f"trains: {where}; loss {losses[0]} -> {losses[-1]}"
    lines = [line for line in log.splitlines() if line.strip()]
    # The train command's own report ("usage error: ...", "error: ..."; `main`'s about its
    # exit status comes after), else an exception's last line.
    reported = [line for line in lines if line.startswith(("usage error:", "error:"))][:1]
    reported = reported or [line for line in lines if "Error" in line][-1:]
    return "stops: " + (reported or lines)[-1][-300:]


def gpu_plans():
    """What `train.jit_compile = 'auto'` picks per strategy where GPUs are present."""
    return [
        (strategy, distribute.plan_xla("auto", strategy, gpu=True).describe())
        for strategy in STRATEGIES
    ]


def main(argv, flag_values):
    if flag_values.one:
        status = run_one(json.loads(flag_values.one))
        if status:  # the train command has printed why
            raise command_line.CommandError(f"the train command exited with status {status}.")
        return
    root = tempfile.mkdtemp(prefix="strategy_matrix-")
    rows = [
        "| --strategy | train.jit_compile | precision | s | outcome |",
        "|---|---|---|---:|---|",
    ]
    combinations = [
        (s, j, p, ()) for s, j, p in itertools.product(STRATEGIES, JIT_COMPILE, PRECISIONS)
    ] + [("mirrored", "True", "float32", (setting,)) for setting in REFUSED]
    for strategy, jit_compile, precision, extra in combinations:
        returncode, log, seconds = run_combination(root, strategy, jit_compile, precision, extra)
        setting = jit_compile + "".join(f", {e}" for e in extra)
        row = (
            f"| {strategy} | {setting} | {precision} | {seconds:.0f} | {outcome(returncode, log)} |"
        )
        print(row, flush=True)
        rows.append(row)
    rows += ["", "| --strategy | `auto` where GPUs are present |", "|---|---|"]
    rows += [f"| {strategy} | {plan} |" for strategy, plan in gpu_plans()]
    table = "\n".join(rows) + "\n"
    print(table)
    if flag_values.out:
        with open(flag_values.out + ".tmp", "w") as f:
            f.write(table)
        os.replace(flag_values.out + ".tmp", flag_values.out)


if __name__ == "__main__":
    command_line.run(main, define_flags)
