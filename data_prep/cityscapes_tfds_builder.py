"""Cityscapes sequences as a tensorflow-datasets dataset (`cityscapes_sequences`): the
builder, and the reader of what it prepared.

An alternative to `python -m data_prep.cityscapes` for researchers who keep their data in
tfds: the builder reads the manually downloaded `leftImg8bit_sequence` folder (tfds's
`manual_dir`), applies the same preprocessing as the converter (30-frame sequences only,
centre square crop, antialiased resize: `data_prep.cityscapes_sequences`) and stores the
videos losslessly (PNG frames). `python -m data_prep.cityscapes_tfds` builds it (or
`tfds build cityscapes_sequences/128 --imports=data_prep.cityscapes_tfds_builder
--manual_dir=... --data_dir=...`).

Splits: `train`, `val` and `test` (the paper's 256 sequences drawn from val with
`cityscapes_sequences.TEST_SEED`, the same ones the converter records).

Public API:
    CityscapesSequences (the builder), builder_for(resolution, data_dir) -> builder
    build(manual_dir, data_dir=None, resolution=128) -> builder, prepared
    load(split, sequence_length=12, data_dir=None, resolution=128, seed=0, shuffle_buffer=256)
        -> tf.data.Dataset of float32 [T, R, R, 3] in [0, 1]
"""

import dataclasses
import os

import tensorflow_datasets as tfds
from absl import logging

from data_prep import cityscapes_sequences
from data_prep import windows

TFDS_NAME = "cityscapes_sequences"
DEFAULT_SHUFFLE_BUFFER = 256


@dataclasses.dataclass
class CityscapesSequencesConfig(tfds.core.BuilderConfig):
    """One output resolution (frames are `resolution` x `resolution`)."""

    resolution: int = cityscapes_sequences.DEFAULT_RESOLUTION


class CityscapesSequences(tfds.core.GeneratorBasedBuilder):
    """30-frame Cityscapes sequences, centre-cropped and resized."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Centre 1024x1024 crop, LANCZOS resize, 30-frame sequences."}
    BUILDER_CONFIGS = [
        CityscapesSequencesConfig(name=str(r), resolution=r, description=f"{r}x{r} frames")
        for r in (64, 128, 256)
    ]
    DEFAULT_CONFIG_NAME = "128"
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        "Download leftImg8bit_sequence_trainvaltest.zip from https://www.cityscapes-dataset.com "
        "(registration needed), extract it, and pass the leftImg8bit_sequence folder (holding "
        "train/ and val/) as --manual_dir."
    )

    def _info(self):
        r = self.builder_config.resolution
        frames = cityscapes_sequences.FRAMES_PER_SEQUENCE
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "video": tfds.features.Video((frames, r, r, 3)),
                    "sequence_id": tfds.features.Text(),
                }
            ),
            homepage="https://www.cityscapes-dataset.com",
        )

    def _split_generators(self, dl_manager):
        root = dl_manager.manual_dir
        val, _, _ = self._sequences(root / "val")
        test_ids = set(
            cityscapes_sequences.choose_test_sequences(
                [cityscapes_sequences.sequence_id(s.city, s.sequence) for s in val]
            )
        )
        return {
            "train": self._generate_examples(root / "train"),
            "val": self._generate_examples(root / "val"),
            "test": self._generate_examples(root / "val", only=test_ids),
        }

    @staticmethod
    def _sequences(split_dir):
        kept, dropped, ignored = cityscapes_sequences.find_sequences(str(split_dir))
        for reason, ids in dropped.items():
            if ids:
                logging.info("%s: dropped %d sequences (%s)", split_dir, len(ids), reason)
        if ignored:
            logging.info("%s: ignored %d files that are not frames", split_dir, len(ignored))
        return kept, dropped, ignored

    def _generate_examples(self, split_dir, only=None):
        kept, _, _ = self._sequences(split_dir)
        for info in kept:
            key = cityscapes_sequences.sequence_id(info.city, info.sequence)
            if only is None or key in only:
                video = cityscapes_sequences.read_sequence(info, self.builder_config.resolution)
                yield key, {"video": video, "sequence_id": key}


def builder_for(resolution=cityscapes_sequences.DEFAULT_RESOLUTION, data_dir=None):
    """The builder of `resolution` x `resolution` frames (any size, not only the named configs)."""
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 1:
        raise ValueError(f"Cityscapes resolution must be an int >= 1, got {resolution!r}")
    config = CityscapesSequencesConfig(
        name=str(resolution), resolution=resolution, description=f"{resolution}x{resolution} frames"
    )
    return CityscapesSequences(config=config, data_dir=data_dir)


def _check_load_settings(split, sequence_length, seed):
    """ValueError for an unknown split or a bad sequence length; the seed, checked."""
    frames = cityscapes_sequences.FRAMES_PER_SEQUENCE
    if split not in cityscapes_sequences.SPLITS:
        raise ValueError(
            f"Unknown Cityscapes split {split!r}; valid: {cityscapes_sequences.SPLITS}"
        )
    if (
        isinstance(sequence_length, bool)
        or not isinstance(sequence_length, int)
        or not 1 <= sequence_length <= frames
    ):
        raise ValueError(
            f"Cityscapes sequence_length must be an int in 1..{frames}, got {sequence_length!r}"
        )
    return windows.check_seed(seed, "cityscapes_dataset.seed")


def load(
    split,
    sequence_length=12,
    data_dir=None,
    resolution=cityscapes_sequences.DEFAULT_RESOLUTION,
    seed=0,
    shuffle_buffer=DEFAULT_SHUFFLE_BUFFER,
):
    """tf.data pipeline of Cityscapes videos from the prepared `cityscapes_sequences`.

    Args:
        split: "train": infinite stream of random windows of `sequence_length` frames
            (see `windows.repeated_random_windows`), shuffled; "val" / "test": finite,
            tfds's order, frames 0..T-1.
        sequence_length: int in 1..30.
        data_dir: str or None. tfds data folder holding the prepared dataset.
        resolution: int. Which builder config (64, 128 or 256).
        seed: int.
        shuffle_buffer: int >= 1.

    Returns:
        Unbatched `tf.data.Dataset` of float32 `[T, R, R, 3]` in [0, 1].
    """
    import tensorflow as tf

    seed = _check_load_settings(split, sequence_length, seed)
    builder = builder_for(resolution, data_dir)
    if not builder.is_prepared():
        raise FileNotFoundError(
            f"tfds dataset {TFDS_NAME}/{resolution} is not prepared in {builder.data_dir}. Build "
            f"it with `python -m data_prep.cityscapes_tfds --manual_dir=.../leftImg8bit_sequence "
            f"--data_dir=DIR --resolution={resolution}` and set "
            f"cityscapes_dataset.tfds_data_dir='DIR'."
        )
    training = split == "train"
    data = builder.as_dataset(
        split=split,
        shuffle_files=training,
        read_config=tfds.ReadConfig(shuffle_seed=seed, shuffle_reshuffle_each_iteration=True),
    )
    data = data.map(lambda example: example["video"], num_parallel_calls=tf.data.AUTOTUNE)
    if training:
        data = windows.repeated_random_windows(
            data, cityscapes_sequences.FRAMES_PER_SEQUENCE, sequence_length, seed, shuffle_buffer
        )
    else:
        data = data.map(lambda video: video[:sequence_length])
    shape = [sequence_length, resolution, resolution, 3]
    return data.map(
        lambda video: windows.to_float(tf.ensure_shape(video, shape)),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )


def build(manual_dir, data_dir=None, resolution=cityscapes_sequences.DEFAULT_RESOLUTION):
    """Prepares `cityscapes_sequences/<resolution>` from `leftImg8bit_sequence`; returns the
    builder.

    Raises:
        FileNotFoundError: `manual_dir` holds no train/ and val/ folders.
        ValueError: a bad resolution, or a frame that cannot be read (names it).
    """
    if not os.path.isdir(os.path.join(manual_dir, "train")) or not os.path.isdir(
        os.path.join(manual_dir, "val")
    ):
        raise FileNotFoundError(
            f"{os.path.abspath(manual_dir)} must be the leftImg8bit_sequence "
            f"folder, holding train/ and val/."
        )
    builder = builder_for(resolution, data_dir)
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=os.path.abspath(manual_dir))
    )
    return builder
