"""BAIR robot pushing as prepared by tensorflow-datasets (`bair_robot_pushing_small`).

For researchers who already ran `tfds build bair_robot_pushing_small` (or
`tfds.load(...)` with downloads on): the same videos as `data_prep.bair`,
without pointing at the extracted archive. This module never downloads: the
prepared dataset must be in `data_dir` (tfds's default `~/tensorflow_datasets`
when None).

Splits: tfds's `train` holds all 43,520 training trajectories of the archive,
including trajectories 256-511 that the paper holds out as its 256 test clips;
tfds's `test` is the archive's test folder. So `split="train"` here trains on
those 256 clips too. To evaluate on the paper's clips, read the archive's
`traj_256_to_511.tfrecords` with `data_prep.bair.load(..., split="val")`.
"""

from data_prep import windows

TFDS_NAME = "bair_robot_pushing_small"
SPLITS = ("train", "test")
FRAMES_PER_TRAJECTORY = 30
IMAGE_KEYS = ("image_aux1", "image_main")
DEFAULT_SHUFFLE_BUFFER = 1024


def load(
    split,
    sequence_length=12,
    data_dir=None,
    image_key="image_aux1",
    seed=0,
    shuffle_buffer=DEFAULT_SHUFFLE_BUFFER,
):
    """tf.data pipeline of BAIR videos from the tfds-prepared `bair_robot_pushing_small`.

    Args:
        split: "train": an infinite stream of random windows of `sequence_length`
            consecutive frames (start uniform in [0, 30 - T], keyed on the seed and
            the element's position in the stream), files shuffled per epoch with the
            seed, windows shuffled. "test": finite, tfds's order, frames 0..T-1.
        sequence_length: int in 1..30.
        data_dir: str or None. tfds data folder holding the prepared dataset.
        image_key: "image_aux1" (the paper's camera) or "image_main".
        seed: int.
        shuffle_buffer: int >= 1.

    Returns:
        Unbatched `tf.data.Dataset` of float32 `[T, 64, 64, 3]` in [0, 1].

    Raises:
        ValueError: bad argument.
        FileNotFoundError: the dataset is not prepared in `data_dir`.
    """
    import tensorflow as tf
    import tensorflow_datasets as tfds

    if split not in SPLITS:
        raise ValueError(
            f"Unknown split {split!r} for tfds {TFDS_NAME}; valid: {SPLITS} "
            f"(the paper's 256 test clips need the archive: data_prep.bair)."
        )
    if (
        isinstance(sequence_length, bool)
        or not isinstance(sequence_length, int)
        or not 1 <= sequence_length <= FRAMES_PER_TRAJECTORY
    ):
        raise ValueError(
            f"BAIR sequence_length must be an int in 1..{FRAMES_PER_TRAJECTORY}, "
            f"got {sequence_length!r}"
        )
    if image_key not in IMAGE_KEYS:
        raise ValueError(f"BAIR image_key must be one of {IMAGE_KEYS}, got {image_key!r}")
    seed = windows.check_seed(seed, "bair_dataset.seed")
    if (
        isinstance(shuffle_buffer, bool)
        or not isinstance(shuffle_buffer, int)
        or shuffle_buffer < 1
    ):
        raise ValueError(f"BAIR shuffle_buffer must be an int >= 1, got {shuffle_buffer!r}")
    length = sequence_length
    training = split == "train"
    try:
        data = tfds.load(
            TFDS_NAME,
            split=split,
            data_dir=data_dir,
            download=False,
            shuffle_files=training,
            read_config=tfds.ReadConfig(shuffle_seed=seed, shuffle_reshuffle_each_iteration=True),
        )
    except (tfds.core.DatasetNotFoundError, AssertionError) as error:  # tfds raises both
        raise FileNotFoundError(
            f"tfds dataset {TFDS_NAME} is not prepared in data_dir={data_dir!r} ({error}). "
            f"Prepare it with `tfds build {TFDS_NAME} --data_dir=DIR` on a machine with network "
            f"access and set bair_dataset.tfds_data_dir='DIR', or read the original archive "
            f"with bair_dataset.source='tfrecords' and bair_dataset.data_dir."
        ) from error
    data = data.map(lambda example: example[image_key], num_parallel_calls=tf.data.AUTOTUNE)
    if training:
        data = windows.repeated_random_windows(
            data, FRAMES_PER_TRAJECTORY, length, seed, shuffle_buffer
        )
    else:
        data = data.map(lambda video: video[:length])
    return data.map(
        lambda video: windows.to_float(tf.ensure_shape(video, [length, 64, 64, 3])),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )
