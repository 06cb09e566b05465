"""gin-configurable datasets: `fn(split, sequence_length) -> tf.data.Dataset`.

Each returns unbatched float32 videos `[T, H, W, C]` in [0, 1]; `train`
batches them. gin selects one with `train.dataset = @smmnist_dataset`.
"""

import gin

from data_prep import bair
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
def bair_dataset(split, sequence_length, data_dir="data/softmotion30_44k"):
    """BAIR robot pushing, read from the original TFRecords (see `data_prep.bair.load`).

    Splits: "train", "val" (the paper's 256 test clips, trajectories 256-511)
    and "test" (the archive's test folder).
    """
    return bair.load(data_dir, split, sequence_length=sequence_length)


@gin.configurable
def cityscapes_dataset(split, sequence_length, data_dir="data/cityscapes_128"):
    """Cityscapes sequences converted by `python -m data_prep.cityscapes`.

    Splits: "train" and "test" (256 sequences of the converted val split).
    """
    return cityscapes.load(data_dir, split, sequence_length=sequence_length)
