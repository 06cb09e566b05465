"""Where training runs: one device, all local devices, or several machines.

`make_strategy(name)` returns an object with a `scope()` to build the model and
optimizer under, for either backend:

- "default": TF the default strategy (one device); JAX `DataParallel` if
  several devices are present.
- "mirrored": TF `MirroredStrategy` over all local GPUs (with none, every
  logical CPU device: one, unless the process split its CPU, as the tests do),
  or the given devices; JAX `DataParallel` over all devices (or the given ones).
- "multi_worker": TF `MultiWorkerMirroredStrategy` from `TF_CONFIG`; on JAX a
  clear error.

TensorFlow is imported only on the TensorFlow backend: the JAX GPU box has none.
Under `MultiWorkerMirroredStrategy` every worker runs the same program; only the
chief writes checkpoints and summaries into the workdir, the others into a
temporary folder that is deleted at the end (`output_dir`, `cleanup_output_dir`).

`plan_xla` decides where XLA compiles the train step, per strategy (docs/PERFORMANCE.md,
"Several GPUs"): the whole step on one device; under the mirrored strategies of TensorFlow
each replica's forward and backward pass, since Keras would compile the step of every
replica into one XLA program, which XLA cannot place on several devices.
"""

import contextlib
import dataclasses
import functools
import json
import os
import shutil
import socket
import tempfile

import keras
import numpy as np

from vrnn_tf import devices

STRATEGIES = ("default", "mirrored", "multi_worker")


class SingleDevice:
    """The trivial distribution of the JAX backend on one device."""

    def scope(self):
        return contextlib.nullcontext()


def check_strategy(name):
    """Raises a ValueError unless `--strategy=name` can run on this backend."""
    if name not in STRATEGIES:
        raise ValueError(f"Unknown --strategy={name!r}; choose one of {', '.join(STRATEGIES)}.")
    backend = keras.backend.backend()
    if backend not in ("tensorflow", "jax") and name != "default":
        raise ValueError(f"--strategy={name} needs the tensorflow or jax backend, not {backend}.")
    if backend == "jax" and name == "multi_worker":
        raise ValueError(
            "--strategy=multi_worker runs on the TensorFlow backend only; on JAX "
            "use one process per machine with jax.distributed, or --strategy=mirrored."
        )


def read_tf_config():
    """The parsed `TF_CONFIG` environment variable; a clear error if absent or malformed."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise ValueError(
            "--strategy=multi_worker needs the TF_CONFIG environment variable, e.g. "
            '{"cluster": {"worker": ["host0:12345", "host1:12345"]}, '
            '"task": {"type": "worker", "index": 0}} (see README.md).'
        )
    try:
        config = json.loads(raw)
        workers = config["cluster"]["worker"]
        task = config["task"]
        task_type, index = task["type"], int(task["index"])
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"TF_CONFIG is not valid: {error!r}; expected JSON with cluster.worker "
            f"(a list of host:port) and task.type / task.index. Got: {raw}"
        ) from error
    members = config["cluster"].get(task_type)
    if not isinstance(workers, list) or members is None or not 0 <= index < len(members):
        raise ValueError(
            f"TF_CONFIG: task {task_type}:{index} is not in the cluster {config['cluster']}."
        )
    return config


def local_cluster(workers):
    """A cluster of `workers` processes on this machine, for trying --strategy=multi_worker
    on one machine (the tests and tools/strategy_matrix.py do): free ports on 127.0.0.1.

    Returns:
        `{"worker": ["127.0.0.1:PORT", ...]}`, the "cluster" of `TF_CONFIG`.
    """
    sockets = [socket.socket() for _ in range(workers)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return {"worker": [f"127.0.0.1:{port}" for port in ports]}


def worker_tf_config(cluster, index):
    """The `TF_CONFIG` value of worker `index` of `cluster` (a JSON string)."""
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})


def make_strategy(name="default", devices=None):
    """The strategy (TensorFlow) or distribution (JAX) called `name`.

    Args:
        name: one of `STRATEGIES`.
        devices: optional list of device names for "mirrored" (e.g.
            `["/cpu:0", "/cpu:1"]` on TensorFlow, `["cpu:0", "cpu:1"]` on JAX).

    Returns:
        An object with `scope()`; on TensorFlow the same object for the same arguments
        within a process. On JAX a `DataParallel` is also made the global distribution
        (`keras.distribution.set_distribution`).
    """
    check_strategy(name)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if name == "multi_worker":
            read_tf_config()
        elif name == "mirrored" and devices is None:
            gpus = tf.config.list_logical_devices("GPU")
            devices = [d.name for d in gpus or tf.config.list_logical_devices("CPU")]
        return _tf_strategy(name, None if devices is None else tuple(devices))
    if keras.backend.backend() != "jax":
        return SingleDevice()
    all_devices = keras.distribution.list_devices()
    if devices is None and len(all_devices) == 1:
        return SingleDevice()
    distribution = keras.distribution.DataParallel(devices=devices or all_devices)
    # Global: Keras's JAX trainer reads it when it lays out variables and batches.
    keras.distribution.set_distribution(distribution)
    return distribution


@functools.lru_cache(maxsize=None)
def _tf_strategy(name, devices):
    """One TensorFlow strategy per process and kind, as TensorFlow expects: two strategies
    over the same devices number their collectives alike, and the second's all-reduces
    meet the first's cached shapes ("Shape mismatch in the collective instance 100")."""
    import tensorflow as tf

    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy(list(devices))
    return tf.distribute.get_strategy()


def num_replicas(strategy):
    """Devices that share each global batch."""
    if isinstance(strategy, SingleDevice):
        return 1
    if isinstance(strategy, keras.distribution.DataParallel):
        return int(np.prod(strategy.device_mesh.shape))
    return strategy.num_replicas_in_sync


def describe(strategy):
    """One line, e.g. "MultiWorkerMirroredStrategy with 2 replicas"."""
    # TensorFlow's class behind tf.distribute.MultiWorkerMirroredStrategy has another name.
    name = {"CollectiveAllReduceStrategy": "MultiWorkerMirroredStrategy"}.get(
        type(strategy).__name__, type(strategy).__name__
    )
    if isinstance(strategy, SingleDevice) or name == "_DefaultDistributionStrategy":
        return "one device"
    replicas = num_replicas(strategy)
    if isinstance(strategy, keras.distribution.DataParallel):
        return f"DataParallel over {replicas} devices"
    return f"{name} with {replicas} replica" + ("s" if replicas > 1 else "")


def is_chief(strategy):
    """True unless this process is a non-chief worker of a multi-worker run."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or resolver.task_type is None:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


def output_dir(workdir, strategy):
    """Where this process writes: the workdir on the chief, a fresh temp folder elsewhere.

    Non-chief workers must still save (saving can involve collective reads of
    synchronised variables), so they write to a throw-away folder.
    """
    if is_chief(strategy):
        return workdir
    resolver = strategy.cluster_resolver
    return tempfile.mkdtemp(prefix=f"vrnn_tf-{resolver.task_type}{resolver.task_id}-")


def cleanup_output_dir(directory, workdir):
    """Deletes a non-chief's temporary output folder (never the workdir itself)."""
    if os.path.abspath(directory) != os.path.abspath(workdir):
        shutil.rmtree(directory, ignore_errors=True)


@dataclasses.dataclass(frozen=True)
class XlaPlan:
    """Where XLA compiles training, and why.

    Attributes:
        jit_compile: bool. Keras's `compile(jit_compile=...)`: the whole train step, every
            replica's part of it included, is one XLA program.
        replica_jit_compile: bool. The TensorFlow step's own: each replica's forward and
            backward pass is an XLA program on that replica's device; the all-reduce and
            the optimizer's update run in TensorFlow's graph
            (`vrnn_tf.backends.tf_train_step`).
        reason: str. Why, naming the setting or the strategy.
    """

    jit_compile: bool
    replica_jit_compile: bool
    reason: str

    @property
    def mode(self):
        """ "whole step", "per replica" or "off"."""
        if self.jit_compile:
            return "whole step"
        return "per replica" if self.replica_jit_compile else "off"

    def describe(self):
        """E.g. "XLA off (train.jit_compile = False)"."""
        what = {
            "whole step": "XLA on the whole step",
            "per replica": "XLA on each replica's forward and backward pass",
            "off": "XLA off",
        }[self.mode]
        return f"{what} ({self.reason})"


def plan_xla(jit_compile, strategy, run_eagerly=False, deterministic_ops=False, gpu=None):
    """Where XLA compiles the train step under `--strategy=strategy`.

    `jit_compile` True compiles; "auto" compiles where a GPU is present (TensorFlow's own
    kernels are faster on a CPU) and always on JAX (whose steps without XLA run op by op).
    Where it compiles: the whole step on one device and on JAX (whose `DataParallel`
    shards one program); each replica's forward and backward pass under TensorFlow's
    mirrored strategies.

    Args:
        jit_compile: True, False or "auto" (`train.jit_compile`).
        strategy: str. One of `STRATEGIES`.
        run_eagerly, deterministic_ops: bool. `train.run_eagerly`, `train.deterministic_ops`.
        gpu: bool or None. Whether a GPU is present (None: look).

    Returns:
        An `XlaPlan`.

    Raises:
        ValueError: a value that is not a choice, or XLA asked for where it cannot run.
    """
    check_strategy(strategy)
    if not (jit_compile is True or jit_compile is False or jit_compile == "auto"):
        raise ValueError(f"train.jit_compile = {jit_compile!r}; choose True, False or 'auto'.")
    setting = f"train.jit_compile = {jit_compile!r}"
    tensorflow = keras.backend.backend() == "tensorflow"
    off_by = None
    if run_eagerly:
        off_by, why = "train.run_eagerly = True", "an eager step runs op by op in Python"
    elif deterministic_ops and tensorflow:
        off_by, why = "train.deterministic_ops = True", "XLA's kernels are not all deterministic"
    if off_by and jit_compile is True:
        raise ValueError(
            f"{setting} cannot hold with {off_by} ({why}); set train.jit_compile = 'auto' "
            "(XLA off then) or False."
        )
    if off_by:
        return XlaPlan(False, False, off_by)
    if jit_compile is False:
        return XlaPlan(False, False, setting)
    gpu = devices.accelerator_present() if gpu is None else gpu
    if jit_compile == "auto" and tensorflow and not gpu:
        return XlaPlan(
            False, False, f"{setting}: no GPU, and on a CPU TensorFlow's kernels are faster"
        )
    if tensorflow and strategy != "default":
        return XlaPlan(
            False,
            True,
            f"{setting}, --strategy={strategy}: Keras would compile the step of every replica "
            "into one XLA program, which cannot span devices",
        )
    return XlaPlan(True, False, setting)


def enable_deterministic_ops():
    """TensorFlow's kernels made bitwise reproducible: a rerun, or a resumed run, gives
    identical weights (`train.deterministic_ops`; on JAX nothing is set)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
