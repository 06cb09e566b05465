"""gin-configurable datasets: `fn(split, sequence_length, start=0) -> tf.data.Dataset`.

Each returns unbatched float32 videos `[T, H, W, C]` in [0, 1]; `train`
batches them. gin selects one with `train.dataset = @smmnist_dataset`.
On a backend other than TensorFlow, SM-MNIST and the synthetic dataset
return a TensorFlow-free `vrnn_tf.data.inputs.IndexedVideos` instead (the JAX GPU
box has no TensorFlow); BAIR, Cityscapes and your own videos need TensorFlow to
read TFRecords.

`start` is the number of training videos already consumed (step x global
batch): the training stream from `start` on is a function of `start` alone,
which is what makes a resumed run see the data an uninterrupted one sees
(`train` rebuilds the stream at every checkpoint interval, in both runs).
SM-MNIST and the synthetic data continue their infinite streams at video
`start` exactly; BAIR, Cityscapes and your videos begin a fresh shuffle (file order,
windows, shuffle buffer) seeded by `(seed, start)`. Evaluation splits ignore
`start`.
"""

import gin
import numpy as np

from data_prep import bair
from data_prep import bair_tfds
from data_prep import cityscapes
from data_prep import smmnist
from data_prep import videos
from vrnn_tf import configurables
from vrnn_tf.data import inputs


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
    max_speed=4,
):
    """Stochastic Moving MNIST (see `data_prep.smmnist.load` and `numpy_batch`);
    train continues at video `start`. `max_speed`: px/frame per axis (4 at 64x64)."""
    settings = dict(
        image_size=image_size,
        digit_size=digit_size,
        num_digits=num_digits,
        seed=seed,
        num_sequences=num_sequences,
        digits_path=digits_path,
        max_speed=max_speed,
    )
    offset = start if split == "train" else 0
    if inputs.use_tf_data():
        return smmnist.load(split, sequence_length, start=offset, **settings)
    smmnist.load_digits(split, digits_path)  # fails now, clearly, if the digits are missing
    if num_sequences is None and split == "test":
        num_sequences = smmnist.DEFAULT_NUM_TEST_SEQUENCES

    def make_batch(first, size):
        return smmnist.numpy_batch(split, size, sequence_length, start=offset + first, **settings)

    return inputs.IndexedVideos(make_batch, num_sequences)


@gin.configurable
def synthetic_dataset(
    split, sequence_length, start=0, image_size=None, image_channels=None, num_sequences=None,
    seed=0,
):
    """Uniform random videos, for benchmarks: no files, no TensorFlow needed.

    Video i of a split is drawn from `numpy.random.default_rng([seed, split, i])`.

    Args:
        split: str. Any name ("train", "test", ...); each gives other videos.
        sequence_length: int. Frames per video.
        start: int. Training videos already consumed (train begins at video `start`).
        image_size, image_channels: int. Default to `build_model`'s.
        num_sequences: int or None. None: infinite for "train", 256 otherwise.
        seed: int.
    """
    if image_size is None:
        image_size = configurables.bound_argument(configurables.build_model, "image_size")
    if image_channels is None:
        image_channels = configurables.bound_argument(configurables.build_model, "image_channels")
    if num_sequences is None and split != "train":
        num_sequences = 256
    offset = start if split == "train" else 0
    split_key = sum(split.encode())
    shape = (sequence_length, image_size, image_size, image_channels)

    def make_batch(first, size):
        return np.stack(
            [
                np.random.default_rng([seed, split_key, i]).random(shape, dtype=np.float32)
                for i in range(offset + first, offset + first + size)
            ]
        )

    if not inputs.use_tf_data():
        return inputs.IndexedVideos(make_batch, num_sequences)
    import tensorflow as tf  # only on the TensorFlow backend

    if num_sequences is None:
        indices = tf.data.Dataset.counter()
    else:
        indices = tf.data.Dataset.range(num_sequences)

    def to_tensor(index):
        video = tf.numpy_function(
            lambda i: make_batch(int(i), 1)[0], [index], tf.float32, stateful=False
        )
        return tf.ensure_shape(video, shape)

    return indices.map(to_tensor, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def _needs_tf_data(name):
    if not inputs.use_tf_data():
        raise ValueError(
            f"{name} reads TFRecords with tf.data, which needs the TensorFlow backend; "
            "on JAX train with train.dataset = @smmnist_dataset or @synthetic_dataset."
        )


@gin.configurable
def bair_dataset(split, sequence_length, start=0, data_dir="data/softmotion30_44k", seed=0,
                 source="tfrecords", tfds_data_dir=None):
    """BAIR robot pushing.

    `source="tfrecords"` reads the original archive's TFRecords in `data_dir`
    (`data_prep.bair.load`); splits "train", "val" (the paper's 256 test clips,
    trajectories 256-511) and "test" (the archive's test folder).
    `source="tfds"` reads `bair_robot_pushing_small` prepared by
    tensorflow-datasets in `tfds_data_dir` (`data_prep.bair_tfds.load`); splits
    "train" and "test" only, so set `train.eval_split = 'test'` with it.
    """
    _needs_tf_data("bair_dataset")
    seed = stream_seed(seed, start)
    if source == "tfrecords":
        return bair.load(data_dir, split, sequence_length=sequence_length, seed=seed)
    if source == "tfds":
        return bair_tfds.load(split, sequence_length=sequence_length, data_dir=tfds_data_dir,
                              seed=seed)
    raise ValueError(f"bair_dataset.source must be 'tfrecords' or 'tfds', got {source!r}")


@gin.configurable
def cityscapes_dataset(split, sequence_length, start=0, data_dir="data/cityscapes_128", seed=0,
                       source="converted", tfds_data_dir=None, resolution=128):
    """Cityscapes sequences, splits "train", "val" and "test" (256 sequences of val).

    `source="converted"` reads the shards written by `python -m data_prep.cityscapes`
    into `data_dir`; `source="tfds"` reads the `cityscapes_sequences` builder of
    `data_prep.cityscapes_tfds` prepared in `tfds_data_dir` at `resolution`.
    """
    _needs_tf_data("cityscapes_dataset")
    seed = stream_seed(seed, start)
    if source == "converted":
        return cityscapes.load(data_dir, split, sequence_length=sequence_length, seed=seed)
    if source == "tfds":
        from data_prep import cityscapes_tfds  # defines a tfds builder: imports tfds

        return cityscapes_tfds.load(split, sequence_length=sequence_length,
                                    data_dir=tfds_data_dir, resolution=resolution, seed=seed)
    raise ValueError(f"cityscapes_dataset.source must be 'converted' or 'tfds', got {source!r}")


@gin.configurable
def videos_dataset(split, sequence_length, start=0, data_dir="data/videos_64", seed=0,
                   shuffle_buffer=videos.DEFAULT_SHUFFLE_BUFFER,
                   cycle_length=videos.DEFAULT_CYCLE_LENGTH):
    """Your own videos, converted by `python -m data_prep.videos` into `data_dir`.

    Splits "train" (random windows of the train clips, infinite) and "test" (the
    clips of the test sources, frames 0..T-1); `data_prep.videos.load`. The frame
    size and the clip length are the conversion's (`data_dir/summary.json`).
    """
    _needs_tf_data("videos_dataset")
    return videos.load(data_dir, split, sequence_length=sequence_length,
                       seed=stream_seed(seed, start), shuffle_buffer=shuffle_buffer,
                       cycle_length=cycle_length)


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
        return dict(
            image_size=configurables.bound_argument(dataset, "image_size"),
            image_channels=1,
            max_frames=None,
        )
    if name == "bair_dataset":
        return dict(
            image_size=bair.IMAGE_SIZE,
            image_channels=bair.IMAGE_CHANNELS,
            max_frames=bair.FRAMES_PER_TRAJECTORY,
        )
    if name == "cityscapes_dataset":
        if configurables.bound_argument(dataset, "source") == "tfds":
            resolution = configurables.bound_argument(dataset, "resolution")
        else:
            summary = cityscapes.read_summary(
                configurables.bound_argument(dataset, "data_dir"), "train"
            )
            resolution = int(summary["resolution"])
        return dict(
            image_size=resolution,
            image_channels=3,
            max_frames=cityscapes.FRAMES_PER_SEQUENCE,
        )
    if name == "videos_dataset":
        summary = videos.read_summary(configurables.bound_argument(dataset, "data_dir"))
        return dict(
            image_size=int(summary["resolution"]),
            image_channels=3,
            max_frames=int(summary["clip_frames"]),
        )
    return {}
