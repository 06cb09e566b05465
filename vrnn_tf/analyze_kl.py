"""KL per latent channel of a trained run (paper Fig. 4):
`python -m vrnn_tf.analyze_kl --workdir DIR`.

Writes `DIR/kl_analysis.png` and `DIR/kl_analysis.json` (`vrnn_tf.evaluation.latent_usage`
says what they hold) and prints the active channels of every level.
"""

from data_prep import command_line
from vrnn_tf import cli
from vrnn_tf.evaluation import latent_usage


def define_flags(flag_values):
    cli.define_run_flags(flag_values)
    define = command_line.FlagDefiner(flag_values)
    define.integer(
        "num_sequences",
        None,
        "Held-out videos to analyse. Defaults to the run's train.eval_sequences.",
    )
    define.string("out", None, "Output path without extension. Defaults to DIR/kl_analysis.")


def main(argv, flag_values):
    if not flag_values.workdir:
        raise command_line.UsageError("--workdir is required: the folder of a vrnn_tf.train run.")
    try:
        result = latent_usage.analyze(
            flag_values.workdir,
            flag_values.num_sequences,
            flag_values.out,
            flag_values.gin_file,
            flag_values.gin_bindings,
        )
    except (FileNotFoundError, ValueError) as error:
        raise command_line.UsageError(str(error)) from error
    for level in result["levels"]:
        print(
            f"level {level['level']} ({level['resolution']}x{level['resolution']}): "
            f"{level['active']}/{level['channels']} active, {level['max_active']} maximally active",
            flush=True,
        )


def run():
    """`python -m vrnn_tf.analyze_kl` and the `vrnn-analyze-kl` command (setup.py)."""
    command_line.run(main, define_flags)


if __name__ == "__main__":
    run()
