"""gin-configurable datasets: `fn(split, sequence_length, start=0) -> tf.data.Dataset`.

Each returns unbatched float32 videos `[T, H, W, C]` in [0, 1]; `train`
batches them. gin selects one with `train.dataset = @smmnist_dataset`.

`start` is the number of training videos already consumed (step x global
batch): the training stream from `start` on is a function of `start` alone,
which is what makes a resumed run see the data an uninterrupted one sees
(`train` rebuilds the stream at every checkpoint interval, in both runs).
SM-MNIST continues its infinite stream at video `start` exactly; BAIR and
Cityscapes begin a fresh shuffle (file order, windows, shuffle buffer) seeded
by `(seed, start)`. Evaluation splits ignore `start`.
"""

import gin
import numpy as np

from data_prep import bair
from data_prep import cityscapes
from data_prep import smmnist
from vrnn_tf import configurables


def stream_seed(seed, start):
    """The seed of a training stream restarted after `start` videos (`seed` itself at 0)."""
    if not start:
        return seed
    return int(np.random.SeedSequence([seed, start]).generate_state(1)[0])


@gin.configurable
def smmnist_dataset(
    split,
    sequence_length,
    start=0,
    image_size=64,
    digit_size=32,
    num_digits=2,
    seed=0,
    num_sequences=None,
    digits_path=None,
):
    """Stochastic Moving MNIST (see `data_prep.smmnist.load`); train continues at video `start`."""
    return smmnist.load(
        split,
        sequence_length,
        image_size=image_size,
        digit_size=digit_size,
        num_digits=num_digits,
        seed=seed,
        num_sequences=num_sequences,
        digits_path=digits_path,
        start=start if split == "train" else 0,
    )


@gin.configurable
def bair_dataset(split, sequence_length, start=0, data_dir="data/softmotion30_44k", seed=0):
    """BAIR robot pushing, read from the original TFRecords (see `data_prep.bair.load`).

    Splits: "train", "val" (the paper's 256 test clips, trajectories 256-511)
    and "test" (the archive's test folder).
    """
    return bair.load(data_dir, split, sequence_length=sequence_length, seed=stream_seed(seed, start))


@gin.configurable
def cityscapes_dataset(split, sequence_length, start=0, data_dir="data/cityscapes_128", seed=0):
    """Cityscapes sequences converted by `python -m data_prep.cityscapes`.

    Splits: "train" and "test" (256 sequences of the converted val split).
    """
    return cityscapes.load(
        data_dir, split, sequence_length=sequence_length, seed=stream_seed(seed, start)
    )


def frame_geometry(dataset):
    """What a gin dataset function yields, read from its bindings and files, without loading.

    Returns:
        dict with `image_size` and `image_channels` (None where unknown) and
        `max_frames` (the longest clip it can give, None for no limit); an
        empty dict for a dataset function not defined here.

    Raises:
        FileNotFoundError / ValueError: the data folder lacks what the loader needs.
    """
    name = getattr(dataset, "__name__", None)
    if name == "smmnist_dataset":
        return dict(image_size=configurables.bound_argument(dataset, "image_size"), image_channels=1, max_frames=None)
    if name == "bair_dataset":
        return dict(
            image_size=bair.IMAGE_SIZE,
            image_channels=bair.IMAGE_CHANNELS,
            max_frames=bair.FRAMES_PER_TRAJECTORY,
        )
    if name == "cityscapes_dataset":
        summary = cityscapes.read_summary(configurables.bound_argument(dataset, "data_dir"), "train")
        return dict(
            image_size=int(summary["resolution"]),
            image_channels=3,
            max_frames=cityscapes.FRAMES_PER_SEQUENCE,
        )
    return {}

