"""Exports a trained model as a TensorFlow SavedModel that samples futures.

    python -m vrnn_tf.export --workdir runs/demo --out runs/demo/saved_model [--step N]

rebuilds the model of the workdir's `config.gin`, restores its newest checkpoint (or
`ckpt-N`) and writes the SavedModel (`vrnn_tf.saved_model`: what it holds, how to call it).
"""

import os

from absl import flags

from data_prep import command_line
from vrnn_tf import cli
from vrnn_tf import nonfinite
from vrnn_tf import saved_model
from vrnn_tf import workdirs


def define_flags(flag_values):
    cli.define_run_flags(flag_values)
    flags.DEFINE_string(
        "out", None, "Export folder (default: WORKDIR/saved_model).", flag_values=flag_values
    )
    flags.DEFINE_integer(
        "step", None, "Checkpoint step to export (default: the newest).", flag_values=flag_values
    )


def main(argv, flag_values):
    if not flag_values.workdir:
        raise command_line.UsageError("--workdir is required: the training run to export.")
    out = flag_values.out or os.path.join(flag_values.workdir, "saved_model")
    # Where the export goes is checked before the model is built and restored.
    saved_model.check_export_path(out)
    command_line.check_writable_folder(os.path.dirname(os.path.abspath(out)), "the folder of --out")
    try:
        model, step, gin_config = workdirs.load_trained_model(flag_values.workdir, flag_values.step)
    except (FileNotFoundError, ValueError) as error:
        raise command_line.UsageError(str(error)) from error
    print(f"Exporting step {step} of {flag_values.workdir} to {out} ...", flush=True)
    try:
        saved_model.export_saved_model(model, out, gin_config, step)
    except nonfinite.NonFiniteWeightsError as error:
        raise command_line.CommandError(str(error)) from error
    print(f"Wrote {out}.", flush=True)


def run():
    """`python -m vrnn_tf.export` and the `vrnn-export` command (setup.py)."""
    command_line.run(main, define_flags)


if __name__ == "__main__":
    run()
