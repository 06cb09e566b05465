"""gin-configurable datasets: `fn(split, sequence_length) -> tf.data.Dataset`.

Each returns unbatched float32 videos `[T, H, W, C]` in [0, 1]; `train`
batches them. gin selects one with `train.dataset = @smmnist_dataset`.
"""

import gin

from data_prep import bair
from data_prep import bair_tfds
from data_prep import cityscapes
from data_prep import smmnist


@gin.configurable
def smmnist_dataset(
    split,
    sequence_length,
    image_size=64,
    digit_size=32,
    num_digits=2,
    seed=0,
    num_sequences=None,
    digits_path=None,
):
    """Stochastic Moving MNIST (see `data_prep.smmnist.load`)."""
    return smmnist.load(
        split,
        sequence_length,
        image_size=image_size,
        digit_size=digit_size,
        num_digits=num_digits,
        seed=seed,
        num_sequences=num_sequences,
        digits_path=digits_path,
    )


@gin.configurable
def bair_dataset(split, sequence_length, data_dir="data/softmotion30_44k", source="tfrecords",
                 tfds_data_dir=None):
    """BAIR robot pushing.

    `source="tfrecords"` reads the original archive's TFRecords in `data_dir`
    (`data_prep.bair.load`); splits "train", "val" (the paper's 256 test clips,
    trajectories 256-511) and "test" (the archive's test folder).
    `source="tfds"` reads `bair_robot_pushing_small` prepared by
    tensorflow-datasets in `tfds_data_dir` (`data_prep.bair_tfds.load`); splits
    "train" and "test" only, so set `train.eval_split = 'test'` with it.
    """
    if source == "tfrecords":
        return bair.load(data_dir, split, sequence_length=sequence_length)
    if source == "tfds":
        return bair_tfds.load(split, sequence_length=sequence_length, data_dir=tfds_data_dir)
    raise ValueError(f"bair_dataset.source must be 'tfrecords' or 'tfds', got {source!r}")


@gin.configurable
def cityscapes_dataset(split, sequence_length, data_dir="data/cityscapes_128",
                       source="converted", tfds_data_dir=None, resolution=128):
    """Cityscapes sequences, splits "train", "val" and "test" (256 sequences of val).

    `source="converted"` reads the shards written by `python -m data_prep.cityscapes`
    into `data_dir`; `source="tfds"` reads the `cityscapes_sequences` builder of
    `data_prep.cityscapes_tfds` prepared in `tfds_data_dir` at `resolution`.
    """
    if source == "converted":
        return cityscapes.load(data_dir, split, sequence_length=sequence_length)
    if source == "tfds":
        from data_prep import cityscapes_tfds  # defines a tfds builder: imports tfds

        return cityscapes_tfds.load(split, sequence_length=sequence_length,
                                    data_dir=tfds_data_dir, resolution=resolution)
    raise ValueError(f"cityscapes_dataset.source must be 'converted' or 'tfds', got {source!r}")
