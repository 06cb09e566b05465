"""gin-configurable datasets: `fn(split, sequence_length) -> tf.data.Dataset`.

Each returns unbatched float32 videos `[T, H, W, C]` in [0, 1]; `train`
batches them. gin selects one with `train.dataset = @smmnist_dataset`.
"""

import os

import gin

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


BAIR_HINT = (
    "Download and extract the BAIR robot pushing archive (softmotion30_44k) and "
    "point to it with --gin_bindings=\"bair_dataset.data_dir='/path/to/softmotion30_44k'\"."
)


@gin.configurable
def bair_dataset(split, sequence_length, data_dir="data/softmotion30_44k"):
    """BAIR robot pushing from the original TFRecords under `data_dir`."""
    folder = os.path.join(data_dir, "test" if split == "test" else "train")
    if not os.path.isdir(folder) or not any(f.endswith(".tfrecords") for f in os.listdir(folder)):
        raise FileNotFoundError(
            f"No BAIR TFRecords found in {os.path.abspath(folder)} (looked for "
            f"*.tfrecords for split {split!r}). {BAIR_HINT}"
        )
    from data_prep import bair  # the reader lands with the data issue

    return bair.load(data_dir, split, sequence_length=sequence_length)
