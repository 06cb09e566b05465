"""The GPU check: every GPU figure of docs/PERFORMANCE.md in one command, in under 10 minutes.

On the GPU box (JAX with CUDA, Python 3.12, no TensorFlow, no package index),
from the repository root, with the wheels of `.whl/` brought along (`carry`)::

    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \\
        --target /tmp/site .whl/*.whl && PYTHONPATH=/tmp/site python3 bench/device_check.py

The wheels, downloaded here by the command of docs/PERFORMANCE.md ("The device
check"): what Keras on JAX and gin need beyond the box's packages, keras==3.15.1,
namex==0.1.0, optree==0.20.0 (cp312) and gin-config==0.5.0; keras's other
requirements (absl-py, numpy, rich, h5py, ml-dtypes, packaging) are on the box.

Parts, each in a process of its own (its memory peak is its own) with a time
budget. A part that would not fit in the time left is skipped, one that runs
past its budget is stopped; its JSON line says which, and the rest go on:

1. `train_bf16`: `bench/train_step.py`, `gin/bair_hier.gin`, batch 32,
   mixed_bfloat16: compile s, ms/step, sequences/s, analytic TFLOPs/step, MFU
   against the chip's dense bf16 peak (H200: the measured 790 TFLOP/s), XLA's
   planned and measured peak memory.
2. `train_f32`: the same in float32.
3. `sampling`: `bench/sample.py`, `Sampler`, 32 contexts x 100 futures x 28
   frames, mixed_bfloat16, 8 contexts per call: frames/s and the extrapolated
   full BAIR protocol (256 x 100 x 28 frames).
4. `train_cli`: `python -m vrnn_tf.train` for 100 steps of batch 32 on
   `synthetic_dataset` (mixed_bfloat16, checkpoints at 50 and 100): the real
   entry point; steady sequences/s from its second log line.
5-7. `svglp_train_bf16`, `svglp_train_f32`, `svglp_sampling`: parts 1-3 for the baseline,
   SVG-LP on BAIR (`gin/svglp_bair.gin`, the release's VGG 64x64), at the same sizes.

Every child runs with TensorFlow unimportable (`bench/without_tensorflow.py`),
as on the box, so that a run here fails where the box would. The children share
a fresh JAX compilation cache: the CLI's train step is the program `train_bf16`
compiled.

Output: `OUT/device_check.jsonl`, a first JSON line on the machine, then one per
part and the total (OUT: `--out`, else the environment variable `OUT`), and
each part's log as `OUT/PART.log`.

`--dry_run` runs the same parts on the CPU with the paper model shrunk by gin
bindings (8x8 frames, toy channels) and tiny sizes, within 12 minutes on 2 busy CPU cores
(tests/test_device_check.py).

The parts' sizes and budgets, the goals and the dry run's bindings are in
`bench/device_check_settings.py`.
"""

import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)  # data_prep (the box has no PYTHONPATH to the repository)

import device_check_settings as settings  # noqa: E402  (bench/: the parts, sizes, budgets, goals)

from data_prep import command_line  # noqa: E402

WITHOUT_TENSORFLOW = os.path.join(REPO, "bench", "without_tensorflow.py")
LOG_TAIL_BYTES = 200_000  # of each part's log kept under OUT


def define_flags(flag_values):
    define = command_line.FlagDefiner(flag_values)
    define.string("out", None, "Output folder (default: the environment variable OUT).")
    define.bool(
        "dry_run",
        False,
        f"The same parts on the CPU at toy sizes (budget: "
        f"{settings.DRY_RUN_TOTAL_BUDGET // 60} minutes).",
    )
    define.float("budget_scale", 1.0, "Multiplies every time budget (tests shrink them).")


def parts(dry_run, workdir):
    """[(name, budget s, argv after the interpreter, how to read its result)] in order."""
    size = settings.DRY_RUN_SIZES if dry_run else settings.SIZES
    budgets = settings.DRY_RUN_BUDGETS if dry_run else settings.BUDGETS
    batch = size["batch_size"]
    argv_and_reader = {}
    for prefix, gin_file, toy in (
        ("", settings.GIN_FILE, settings.DRY_RUN_BINDINGS),
        ("svglp_", settings.SVG_GIN_FILE, settings.SVG_DRY_RUN_BINDINGS),
    ):
        gin = [f"--gin_file={gin_file}"] + [f"--gin_bindings={b}" for b in (toy if dry_run else [])]
        train = ["bench/train_step.py", *gin, f"--batch_size={batch}", "--json"]
        train += [f"--steps={size['steps']}", f"--warmup={size['warmup']}"]
        sample = ["bench/sample.py", *gin, "--precision=mixed_bfloat16", "--json"]
        sample += [
            f"--{name}={size[name]}"
            for name in ("num_contexts", "num_samples", "num_future", "contexts_per_call")
        ]
        argv_and_reader[f"{prefix}train_bf16"] = (
            train + ["--precision=mixed_bfloat16"],
            training_result,
        )
        argv_and_reader[f"{prefix}train_f32"] = (train + ["--precision=float32"], training_result)
        argv_and_reader[f"{prefix}sampling"] = (sample, sampling_result)
        if not prefix:
            argv_and_reader["train_cli"] = (
                cli_command(gin, workdir, size),
                lambda log: cli_result(workdir, batch),
            )
    return [(name, budgets[name], *argv_and_reader[name]) for name in settings.PARTS]


def cli_command(gin, workdir, size):
    """`python -m vrnn_tf.train` on `synthetic_dataset` for the sizes' steps, mixed_bfloat16."""
    log_every = size["cli_log_every"]
    return ["-m", "vrnn_tf.train", *gin, f"--workdir={workdir}"] + [
        f"--gin_bindings={b}"
        for b in (
            "train.dataset = @synthetic_dataset",
            f"train.batch_size = {size['batch_size']}",
            f"train.steps = {size['cli_steps']}",
            f"train.log_every = {log_every}",
            f"train.checkpoint_every = {log_every}",
            f"train.eval_sequences = {size['batch_size']}",
            "train.eval_every = 0",
            "train.sample_every = 0",
            "train.sample_sequences = 1",
            "build_model.precision = 'mixed_bfloat16'",
        )
    ]


def last_json(log):
    """The last line of a log that parses as a JSON object."""
    for line in reversed(log.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    raise ValueError("no JSON line in the output")


def training_result(log):
    result = last_json(log)
    if result.get("sequences_per_second"):
        speedup = result["sequences_per_second"] / settings.RELEASE_CLIPS_PER_SECOND
        result["over_release_bf16_h100"] = round(speedup, 2)
        result["meets_release_goal"] = speedup >= settings.RELEASE_FACTOR_GOAL
    if result.get("mfu") is not None:
        result["meets_mfu_goal"] = result["mfu"] >= settings.MFU_GOAL
    return result


def sampling_result(log):
    result = last_json(log)
    minutes = result["bair_protocol_minutes"]
    result["meets_protocol_goal"] = minutes < settings.PROTOCOL_MINUTES_GOAL
    return result


def cli_result(workdir, batch_size):
    """What the training run left: its log lines, summary and checkpoints."""
    with open(os.path.join(workdir, "metrics.jsonl")) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    with open(os.path.join(workdir, "summary.json")) as f:
        summary = json.load(f)
    checkpoint_dir = os.path.join(workdir, "checkpoints")
    # The first log interval holds the compilation; the last one is steady state.
    steady = lines[-1]["steps_per_second"]
    return dict(
        steps=summary["steps"],
        train_seconds=round(summary["train_seconds"], 1),
        steady_steps_per_second=round(steady, 3),
        steady_sequences_per_second=round(steady * batch_size, 2),
        first_interval_steps_per_second=round(lines[0]["steps_per_second"], 3),
        last_loss=lines[-1]["loss"],
        test_neg_elbo_before=summary["test_neg_elbo_before"],
        test_neg_elbo_after=summary["test_neg_elbo_after"],
        checkpoints={
            name: os.path.getsize(os.path.join(checkpoint_dir, name))
            for name in sorted(os.listdir(checkpoint_dir))
        },
    )


def run_part(argv, budget, log_path, env):
    """Runs one part; returns (status, seconds, its output)."""
    start = time.perf_counter()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, WITHOUT_TENSORFLOW, *argv],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a timeout stops all of it
        )
        try:
            status = "ok" if process.wait(timeout=budget) == 0 else "failed"
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            status = "timeout"
    with open(log_path, errors="replace") as log:
        output = log.read()
    if len(output) > LOG_TAIL_BYTES:  # keep what comes back small
        output = output[-LOG_TAIL_BYTES:]
        with open(log_path, "w") as log:
            log.write(output)
    return status, time.perf_counter() - start, output


# Prints the versions and the device as one JSON line (in a child: this process
# never touches the GPU, whose memory JAX would reserve).
VERSIONS = """
import json, jax, keras, numpy
device = jax.devices()[0]
print(json.dumps(dict(device=device.device_kind, platform=device.platform,
                      device_count=jax.device_count(), jax=jax.__version__,
                      keras=keras.__version__, numpy=numpy.__version__)))
"""


def machine(env, log_path, dry_run, budget_scale):
    """The first JSON line: where and with what the check ran."""
    line = dict(
        part="machine",
        date=time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        dry_run=dry_run,
        host=platform.node(),
        cpu_count=os.cpu_count(),
        python=platform.python_version(),
        xla_flags=os.environ.get("XLA_FLAGS", ""),
    )
    status, _, output = run_part(["-c", VERSIONS], 60 * budget_scale, log_path, env)
    try:
        line.update(last_json(output))
    except ValueError:
        line.update(status=status, message=output[-2000:])
    if shutil.which("nvidia-smi"):
        query = "--query-gpu=name,memory.total,driver_version,clocks.max.sm"
        smi = subprocess.run(
            ["nvidia-smi", query, "--format=csv,noheader"], capture_output=True, text=True
        )
        line["nvidia_smi"] = smi.stdout.strip()
    return line


def child_environment(dry_run, workdir):
    """The parts' environment: JAX, the repository on the path, TensorFlow's log quiet, and a
    fresh compilation cache in `workdir`; with `dry_run`, the CPU."""
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(p for p in (REPO, os.environ.get("PYTHONPATH")) if p),
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    if dry_run:
        env["JAX_PLATFORMS"] = "cpu"
        # LLVM's optimisation of the CPU programs is half of the dry run's time and none of
        # what it checks.
        env["XLA_FLAGS"] = " ".join(
            f for f in (env.get("XLA_FLAGS"), "--xla_backend_optimization_level=0") if f
        )
    # A fresh compilation cache, shared by the parts: the CLI's train step is the program
    # `train_bf16` compiled (same model, batch and precision), and every part builds the
    # same model (each initialiser is a small program of its own).
    env["JAX_COMPILATION_CACHE_DIR"] = os.path.join(workdir, "jax_cache")
    env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    return env


def part_line(part, left, total, out, env):
    """A part's JSON line: it runs if its budget fits in the `left` seconds, and its result
    is read.

    Args:
        part: `(name, budget s, argv, reader)`, as `parts` lists them (the budget scaled).
        left, total: float. Seconds left of the whole check, and its budget.
        out: str. The output folder (the part's log).
        env: dict. The children's environment.
    """
    name, budget, part_argv, read = part
    line = dict(part=name, budget_s=round(budget, 1), command=" ".join(part_argv))
    if left < budget:
        line.update(
            status="skipped",
            message=f"needs up to {budget:.0f} s, {max(left, 0):.0f} s of {total:.0f} s left",
        )
        return line
    status, seconds, output = run_part(part_argv, budget, os.path.join(out, f"{name}.log"), env)
    line.update(status=status, wall_seconds=round(seconds, 1))
    if status == "ok":
        try:
            line.update(read(output))  # its own "seconds" (timed work) included
        except (OSError, ValueError, KeyError) as error:
            line.update(status="failed", message=f"unreadable result: {error!r}")
    elif status == "timeout":
        line["message"] = f"stopped at its budget of {budget:.0f} s"
    else:
        line["message"] = output[-2000:]
    return line


def main(argv, flag_values):
    out = flag_values.out or os.environ.get("OUT")
    if not out:
        raise command_line.UsageError("Give --out=DIR or set the environment variable OUT.")
    command_line.check_writable_folder(out, "--out")
    dry_run, budget_scale = flag_values.dry_run, flag_values.budget_scale
    results_path = os.path.join(out, "device_check.jsonl")
    total = settings.DRY_RUN_TOTAL_BUDGET if dry_run else settings.TOTAL_BUDGET
    total *= budget_scale
    start = time.perf_counter()
    workdir = tempfile.mkdtemp(prefix="device_check_train_")  # checkpoints stay out of OUT
    env = child_environment(dry_run, workdir)
    failed = []
    with open(results_path, "w") as results:

        def write(line):
            results.write(json.dumps(line) + "\n")
            results.flush()
            print(json.dumps(line), flush=True)

        write(machine(env, os.path.join(out, "machine.log"), dry_run, budget_scale))
        for name, budget, part_argv, read in parts(dry_run, os.path.join(workdir, "run")):
            left = total - (time.perf_counter() - start)
            part = (name, budget * budget_scale, part_argv, read)
            line = part_line(part, left, total, out, env)
            write(line)
            if line["status"] == "failed":
                failed.append(name)
        write(dict(part="total", seconds=round(time.perf_counter() - start, 1)))
    shutil.rmtree(workdir, ignore_errors=True)  # the checkpoints and the cache
    if failed:
        raise command_line.CommandError(
            f"Failed: {', '.join(failed)} (their messages are in {results_path})."
        )


if __name__ == "__main__":
    command_line.run(main, define_flags)
