"""Converts Cityscapes video sequences to sharded TFRecords: `python -m data_prep.cityscapes`.

    python -m data_prep.cityscapes --src .../leftImg8bit_sequence --out DIR --split train \\
        [--resolution 128 --shard_size 32]

Reads the 30-frame sequences of one split of `leftImg8bit_sequence`
(`data_prep.cityscapes_sequences`: longer, shorter and gapped ones are dropped and counted),
crops each frame to its centre square, resizes it to `--resolution` and writes
`DIR/{split}-*.tfrecord` shards and `DIR/summary_{split}.json`; resumable: a rerun of the same
command skips complete shards (`data_prep.cityscapes_shards`, which documents the record
format). Converting val also draws the paper's 256 test sequences.

`data_prep.cityscapes_clips.load` reads them back (the gin dataset `cityscapes_dataset`).

Exit status: 0 on success; 2 for a bad flag (a missing --src folder, a bad --resolution, an
--out holding another conversion); 1 when the conversion fails (a corrupt PNG).
"""

import os

from absl import flags

from data_prep import cityscapes_sequences
from data_prep import cityscapes_shards
from data_prep import command_line
from data_prep import conversion_command


def define_flags(flag_values):
    """The flags of `python -m data_prep.cityscapes` (defined by `run`, not at import: other
    entry points have flags of the same names, --out, --split, and may share a process)."""
    define = command_line.FlagDefiner(flag_values)
    define.string("src", None, "The leftImg8bit_sequence folder.", required=True)
    define.string("out", None, "Output folder.", required=True)
    define.enum(
        "split",
        None,
        cityscapes_sequences.SOURCE_SPLITS,
        "Source split to convert (the test sequences come from val).",
        required=True,
    )
    define.integer(
        "resolution", cityscapes_sequences.DEFAULT_RESOLUTION, "Side of the square frames."
    )
    define.integer("shard_size", cityscapes_shards.DEFAULT_SHARD_SIZE, "Sequences per shard.")
    conversion_command.define_flags(flag_values)
    flags.adopt_module_key_flags(conversion_command, flag_values=flag_values)


def main(argv, flag_values):
    """Converts with the parsed flags and prints what it did."""
    command_line.check_writable_folder(flag_values.out, "--out")
    split, out = flag_values.split, os.path.abspath(flag_values.out)
    with conversion_command.failures():
        summary = cityscapes_shards.convert(
            flag_values.src,
            flag_values.out,
            split,
            resolution=flag_values.resolution,
            shard_size=flag_values.shard_size,
            **conversion_command.settings(flag_values),
        )
    reasons = ", ".join(
        f"{reason}: {entry['count']}" for reason, entry in summary["dropped"].items()
    )
    print(
        f"Cityscapes {split}: kept {summary['num_sequences']} sequences of "
        f"{cityscapes_sequences.FRAMES_PER_SEQUENCE} frames, dropped {summary['num_dropped']} "
        f"({reasons}); ignored {summary['num_ignored_files']} files with other names."
    )
    print(
        f"Wrote {summary['shards_written']} of {len(summary['shards'])} shards (the others "
        f"were complete) to {out}; summary in {cityscapes_shards.summary_path(out, split)}."
    )
    if split == "val":
        print(
            f"Test split: {summary['num_test_sequences']} sequences drawn with seed "
            f"{summary['test_seed']}."
        )


def run():
    """`python -m data_prep.cityscapes` and the `vrnn-prepare-cityscapes` command (setup.py)."""
    command_line.run(main, define_flags)


if __name__ == "__main__":
    run()
