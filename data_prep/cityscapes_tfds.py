"""Prepares the tensorflow-datasets dataset `cityscapes_sequences`:
`python -m data_prep.cityscapes_tfds`.

    python -m data_prep.cityscapes_tfds --manual_dir=/data/leftImg8bit_sequence \\
        --data_dir=/data/tfds --resolution=128

The builder (`data_prep.cityscapes_tfds_builder`) reads the manually downloaded
`leftImg8bit_sequence` folder and applies the converter's preprocessing; its `load` reads
the prepared dataset (the gin dataset `cityscapes_dataset` with `source='tfds'`).

Exit status: 0 on success; 2 for a bad flag (a --manual_dir without train/ and val/, a bad
--resolution, a --data_dir that cannot be written); 1 when preparing fails (a corrupt PNG).
"""

from data_prep import cityscapes_sequences
from data_prep import cityscapes_tfds_builder
from data_prep import command_line


def define_flags(flag_values):
    """The flags of `python -m data_prep.cityscapes_tfds` (defined by `run`, not at import:
    other entry points have flags of the same names and may share a process)."""
    define = command_line.FlagDefiner(flag_values)
    define.string("manual_dir", None, "The leftImg8bit_sequence folder.", required=True)
    define.string("data_dir", None, "tfds data folder (tfds's default: ~/tensorflow_datasets).")
    define.integer(
        "resolution",
        cityscapes_sequences.DEFAULT_RESOLUTION,
        "Side of the square frames.",
        lower_bound=1,
    )


def main(argv, flag_values):
    """Prepares the dataset with the parsed flags and prints its split sizes."""
    if flag_values.data_dir:
        command_line.check_writable_folder(flag_values.data_dir, "--data_dir")
    try:
        builder = cityscapes_tfds_builder.build(
            flag_values.manual_dir, flag_values.data_dir, flag_values.resolution
        )
    except FileNotFoundError as error:
        raise command_line.UsageError(f"--manual_dir: {error}") from error
    except ValueError as error:
        raise command_line.CommandError(str(error)) from error
    counts = ", ".join(
        f"{name}: {split.num_examples}" for name, split in builder.info.splits.items()
    )
    print(
        f"Prepared {cityscapes_tfds_builder.TFDS_NAME}/{flag_values.resolution} in "
        f"{builder.data_dir} ({counts})."
    )


def run():
    """`python -m data_prep.cityscapes_tfds`."""
    command_line.run(main, define_flags)


if __name__ == "__main__":
    run()
