"""A trained model evaluated by the paper's protocol (§5.2.1): the library of
`python -m vrnn_tf.evaluate`.

`evaluate` reads the training workdir (`config.gin`, newest checkpoint in `checkpoints/`)
or a `vrnn_tf.export` SavedModel (its `predict` endpoint; the data settings
come from the gin config kept in its metadata, TensorFlow backend only),
and for every sequence of the split draws `num_samples` futures from the
prior given the context frames (an action model: and the clip's own actions, as SAVP
evaluates). Per metric (SSIM, PSNR, LPIPS) it keeps the
best sample of each sequence (by its mean over the predicted frames) and
averages over the sequences; FVD compares the real clips with one random
sample per sequence, repeated `fvd_repeats` times (mean and std reported).

Futures are drawn by the compiled `vrnn_tf.sampling.Sampler` (or the export's
endpoint); the protocol itself is `vrnn_tf.evaluation`. It runs on the JAX backend too, for data
that need no TensorFlow (`smmnist_dataset`, `synthetic_dataset`).

Writes into `--out` (default `WORKDIR/eval_SPLIT`, or `SAVED_MODEL_eval_SPLIT`):
`results.json` (every number and setting, the checkpoint step), `curves.csv` (per predicted frame),
`curves.png`, `samples.gif` (ground truth | samples), `command.txt` and
`partial/` (one file per chunk of sequences: a rerun with the same settings
reuses them, so a killed run loses at most one chunk).
"""

import os
import sys

import keras

from data_prep import command_line
from data_prep import files
from vrnn_tf import config_checks
from vrnn_tf import configurables
from vrnn_tf import gin_settings
from vrnn_tf import sampling
from vrnn_tf import workdirs
from vrnn_tf.evaluation import protocol
from vrnn_tf.metrics import i3d as i3d_lib

# A SavedModel needs TensorFlow; the JAX GPU box has none (and evaluates checkpoints).
if keras.backend.backend() == "tensorflow":
    from vrnn_tf import saved_model


def evaluate(
    workdir=None,
    out=None,
    split=None,
    num_samples=100,
    num_sequences=None,
    future_frames=None,
    fvd_with_context=True,
    fvd_repeats=5,
    chunk_size=8,
    futures_per_call=protocol.DEFAULT_FUTURES_PER_CALL,
    seed=0,
    lpips_weights=None,
    i3d_weights=None,
    gin_bindings=(),
    saved_model=None,
):
    """Evaluates a run's checkpoint (or an export) and writes the outputs (module doc).

    Args:
        workdir: str. A `vrnn_tf.train` workdir (or None with `saved_model`).
        out: str or None. Output folder; default `WORKDIR/eval_SPLIT` (or
            `SAVED_MODEL_eval_SPLIT`).
        split: str or None. Data split; default `train.eval_split` of the config.
        num_samples: int. Futures per sequence.
        num_sequences: int or None. First N sequences of the split (None: all).
        future_frames: int or None. Predicted frames (None: the dataset's default, the
            paper's where it has one).
        fvd_with_context: bool. FVD clips are context + future (else future only).
        fvd_repeats: int. FVD repeats.
        chunk_size: int. Sequences per chunk / partial result.
        futures_per_call: int. At most this many futures (contexts x samples) per
            sampling call: bounds the memory sampling needs.
        seed: int.
        lpips_weights, i3d_weights: str or None. Weight files (None: the installed packages).
        gin_bindings: extra gin bindings applied after config.gin (e.g. a data folder).
        saved_model: str or None. A `vrnn_tf.export` folder to evaluate instead
            of the workdir's newest checkpoint.

    Returns:
        dict: the contents of results.json.
    """
    if (workdir is None) == (saved_model is None):
        raise command_line.UsageError(
            "Give --workdir (a training run) or --saved_model (an export)."
        )
    counts = dict(
        num_samples=num_samples,
        fvd_repeats=fvd_repeats,
        chunk_size=chunk_size,
        futures_per_call=futures_per_call,
    )
    for name, value in counts.items():
        if value < 1:
            raise command_line.UsageError(f"--{name} must be >= 1, got {value}.")
    if saved_model is None:
        step, checkpoint = workdirs.parse_config(workdir, gin_bindings=gin_bindings)[-1]
    else:
        step, checkpoint = parse_export_config(saved_model, gin_bindings)
    dataset, split, future_frames = checked_data(split, future_frames, fvd_with_context)
    if out is None:
        out = (
            os.path.join(workdir, f"eval_{split}")
            if saved_model is None
            else f"{os.path.normpath(saved_model)}_eval_{split}"
        )
    command_line.check_writable_folder(out, "--out")
    settings = dict(
        workdir=workdir and os.path.abspath(workdir),
        saved_model=saved_model and os.path.abspath(saved_model),
        checkpoint=os.path.abspath(checkpoint),
        checkpoint_step=step,
        dataset=dataset.name,
        split=split,
        num_sequences=num_sequences,
        context_frames=configurables.model_setting("context_frames"),
        future_frames=future_frames,
        fvd_with_context=fvd_with_context,
        fvd_clip_frames=clip_frames(future_frames, fvd_with_context),
        **counts,
        seed=seed,
        lpips_weights=lpips_weights,
        i3d_weights=i3d_weights,
        gin_bindings=list(gin_bindings),
        backend=keras.backend.backend(),
    )
    action_dim = configurables.model_setting("action_dim")
    if action_dim:  # (absent for the paper's action-free model: its settings stay as they were)
        settings.update(action_dim=action_dim, actions="each test clip's own (SAVP protocol)")
    files.write_text(os.path.join(out, "command.txt"), " ".join(sys.argv) + "\n")
    data = dataset(split, settings["context_frames"] + future_frames)
    if num_sequences is not None:
        data = data.take(num_sequences)

    try:
        return protocol.run(sampler_factory(settings), data, settings, out)
    except protocol.DataError as error:
        raise command_line.UsageError(f"{dataset.name}: {error}") from error


def sampler_factory(settings):
    """`make_sampler(samples_per_call)` for the protocol: the compiled `Sampler` of the
    checkpoint that `settings` names, or the export's `predict` endpoint."""
    future_frames = settings["future_frames"]

    def make_sampler(samples_per_call):
        if settings["saved_model"] is not None:
            exported = saved_model.ExportedModel(settings["saved_model"])
            return lambda context, seed, actions=None: exported.generate(
                context, future_frames, samples_per_call, seed, actions
            )
        return sampling.Sampler(checkpoint_model(settings), future_frames, samples_per_call)

    return make_sampler


def checkpoint_model(settings):
    """The parsed config's model holding the weights of the checkpoint that `settings` name."""
    model = configurables.build_model()
    model.load_weights(settings["checkpoint"])  # the step that settings name
    return model


def clip_frames(future_frames, fvd_with_context):
    """Frames of an FVD clip: the predicted ones, and the context with `fvd_with_context`."""
    context = configurables.model_setting("context_frames") if fvd_with_context else 0
    return context + future_frames


def checked_data(split, future_frames, fvd_with_context):
    """The parsed config's dataset, split and future frames, checked against the model.

    Returns:
        `(dataset, split, future_frames)`.
    """
    dataset = config_checks.bound_dataset()
    context_frames = configurables.model_setting("context_frames")
    if split is None:
        split = gin_settings.bound_argument(configurables.train, "eval_split")
    # The data folder and frame size before any model or data is loaded.
    geometry = config_checks.check_dataset_matches_model(
        dataset,
        configurables.model_setting("image_size"),
        configurables.model_setting("image_channels"),
        configurables.model_setting("action_dim"),
    )
    if future_frames is None:
        try:
            future_frames = dataset.default_future_frames(context_frames)
        except ValueError as error:
            raise command_line.UsageError(f"{error} Pass --future_frames.") from error
    length = clip_frames(future_frames, fvd_with_context)
    if length < i3d_lib.MIN_FRAMES:
        raise command_line.UsageError(
            f"FVD clips of {length} frames are too short for I3D (at least "
            f"{i3d_lib.MIN_FRAMES}): raise --future_frames or set --fvd_with_context."
        )
    config_checks.check_sequence_lengths(
        context_frames,
        context_frames + future_frames,
        geometry.max_frames,
        what="evaluation clips (build_model.context_frames + --future_frames)",
    )
    return dataset, split, future_frames


def parse_export_config(path, gin_bindings=()):
    """Parses the gin config kept in an export's metadata (then `gin_bindings`).

    Returns:
        (checkpoint step of the exported weights, path).
    """
    try:
        metadata = saved_model.load_metadata(path)
    except ValueError as error:
        raise FileNotFoundError(f"--saved_model: {error}") from error
    workdirs.parse_saved_config(
        f"the gin config of {path}", config_text=metadata["gin_config"], gin_bindings=gin_bindings
    )
    return metadata["step"], path
