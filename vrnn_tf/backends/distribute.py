"""Where training runs: one device, all local devices, or several machines.

`make_strategy(name)` returns an object with a `scope()` to build the model and
optimizer under, for either backend:

- "default": TF the default strategy (one device); JAX `DataParallel` if
  several devices are present.
- "mirrored": TF `MirroredStrategy` over all local GPUs (or the given logical
  devices); JAX `DataParallel` over all devices (or the given ones).
- "multi_worker": TF `MultiWorkerMirroredStrategy` from `TF_CONFIG`; on JAX a
  clear error.

TensorFlow is imported only on the TensorFlow backend: the JAX GPU box has none.
Under `MultiWorkerMirroredStrategy` every worker runs the same program; only the
chief writes checkpoints and summaries into the workdir, the others into a
temporary folder that is deleted at the end (`output_dir`, `cleanup_output_dir`).
"""

import json
import os
import shutil
import tempfile

import keras
import numpy as np

STRATEGIES = ("default", "mirrored", "multi_worker")


class SingleDevice:
    """The trivial distribution of the JAX backend on one device."""

    def scope(self):
        import contextlib

        return contextlib.nullcontext()


def _check_name(name):
    if name not in STRATEGIES:
        raise ValueError(f"Unknown --strategy={name!r}; choose one of {', '.join(STRATEGIES)}.")


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


def make_strategy(name="default", devices=None):
    """The strategy (TensorFlow) or distribution (JAX) called `name`.

    Args:
        name: one of `STRATEGIES`.
        devices: optional list of device names for "mirrored" (e.g.
            `["/cpu:0", "/cpu:1"]` on TensorFlow, `["cpu:0", "cpu:1"]` on JAX).

    Returns:
        An object with `scope()`. On JAX a `DataParallel` is also made the
        global distribution (`keras.distribution.set_distribution`).
    """
    _check_name(name)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if name == "multi_worker":
            read_tf_config()
            return tf.distribute.MultiWorkerMirroredStrategy()
        if name == "mirrored":
            return tf.distribute.MirroredStrategy(devices)
        return tf.distribute.get_strategy()
    if keras.backend.backend() != "jax":
        if name != "default":
            raise ValueError(
                f"--strategy={name} needs the tensorflow or jax backend, "
                f"not {keras.backend.backend()}."
            )
        return SingleDevice()
    if name == "multi_worker":
        raise ValueError(
            "--strategy=multi_worker runs on the TensorFlow backend only; on JAX "
            "use one process per machine with jax.distributed, or --strategy=mirrored."
        )
    all_devices = keras.distribution.list_devices()
    if devices is None and len(all_devices) == 1:
        return SingleDevice()
    distribution = keras.distribution.DataParallel(devices=devices or all_devices)
    # Global: Keras's JAX trainer reads it when it lays out variables and batches.
    keras.distribution.set_distribution(distribution)
    return distribution


def num_replicas(strategy):
    """Devices that share each global batch."""
    if isinstance(strategy, SingleDevice):
        return 1
    if isinstance(strategy, keras.distribution.DataParallel):
        return int(np.prod(strategy.device_mesh.shape))
    return strategy.num_replicas_in_sync


def describe(strategy):
    """One line, e.g. "MultiWorkerMirroredStrategy with 2 replicas"."""
    if isinstance(strategy, SingleDevice):
        return "one device"
    if isinstance(strategy, keras.distribution.DataParallel):
        return f"DataParallel over {num_replicas(strategy)} devices"
    return f"{type(strategy).__name__} with {strategy.num_replicas_in_sync} replicas"


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


def default_jit_compile():
    """XLA where a GPU is present; always on JAX, whose non-jit path runs op by op."""
    return keras.backend.backend() == "jax" or accelerator_present()


def accelerator_present():
    """True if a GPU (or TPU) is visible to the current backend."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return any(d.device_type in ("GPU", "TPU") for d in tf.config.list_logical_devices())
    if keras.backend.backend() == "jax":
        import jax

        return jax.default_backend() in ("gpu", "tpu")
    return False
