"""Writers of synthetic data in the original BAIR and Cityscapes layouts, for tests and benchmarks.

Not installed with the package: import it from the repository root (pytest's `pythonpath = .`)
as `from tests.data_prep import tfrecord_testing`.

A trajectory is a dict of numpy arrays:
    image_aux1, image_main: uint8 [30, 64, 64, 3]
    action: float32 [30, 4]; endeffector_pos: float32 [30, 3]

Public API:
    bair_trajectory(rng, frames=30) -> dict (random pixels and floats)
    bair_features(trajectory) -> dict key -> tf.train.Feature, the archive's feature map
    bair_example_bytes(features) -> bytes, a serialized tf.train.Example
    write_bair_file(path, trajectories) -> path, one record per trajectory
    write_cityscapes_tree(root, layout, width, height, rng) -> the frames written as PNGs
"""

import os

import numpy as np

from data_prep import bair


def bair_trajectory(rng, frames=bair.FRAMES_PER_TRAJECTORY):
    """Returns one trajectory of random pixels and floats drawn from `rng`."""
    shape = (frames, bair.IMAGE_SIZE, bair.IMAGE_SIZE, bair.IMAGE_CHANNELS)
    return {
        "image_aux1": rng.integers(0, 256, shape, dtype=np.uint8),
        "image_main": rng.integers(0, 256, shape, dtype=np.uint8),
        "action": rng.standard_normal((frames, bair.ACTION_SIZE)).astype(np.float32),
        "endeffector_pos": rng.standard_normal((frames, bair.ENDEFFECTOR_SIZE)).astype(np.float32),
    }


def bair_features(trajectory):
    """Returns the archive's feature map for a trajectory, as a dict (edit it to corrupt it)."""
    import tensorflow as tf

    def as_bytes(value):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))

    def as_floats(values):
        return tf.train.Feature(float_list=tf.train.FloatList(value=values))

    features = {}
    for i in range(len(trajectory["image_aux1"])):
        features[f"{i}/image_aux1/encoded"] = as_bytes(trajectory["image_aux1"][i].tobytes())
        features[f"{i}/image_main/encoded"] = as_bytes(trajectory["image_main"][i].tobytes())
        features[f"{i}/action"] = as_floats(trajectory["action"][i])
        features[f"{i}/endeffector_pos"] = as_floats(trajectory["endeffector_pos"][i])
    return features


def bair_example_bytes(features):
    """Serializes a feature map (see `bair_features`) as a tf.train.Example."""
    import tensorflow as tf

    example = tf.train.Example(features=tf.train.Features(feature=features))
    return example.SerializeToString()


def write_bair_file(path, trajectories):
    """Writes one record per trajectory (dict, or already serialized bytes) to `path`."""
    import tensorflow as tf

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with tf.io.TFRecordWriter(os.fspath(path)) as writer:
        for trajectory in trajectories:
            if not isinstance(trajectory, bytes):
                trajectory = bair_example_bytes(bair_features(trajectory))
            writer.write(trajectory)
    return path


def cityscapes_png_path(root, split, city, seq, frame):
    """Where `leftImg8bit_sequence` keeps one frame."""
    return os.path.join(root, split, city, f"{city}_{seq:06d}_{frame:06d}_leftImg8bit.png")


def write_cityscapes_tree(root, layout, width, height, rng):
    """Writes random-pixel PNGs in the `leftImg8bit_sequence` layout.

    Args:
        root: str. The `leftImg8bit_sequence` folder to fill.
        layout: dict `(split, city, seq) -> frame numbers`.
        width, height: ints. Frame size (Cityscapes: 2048x1024).
        rng: `numpy.random.Generator`.

    Returns:
        dict `(split, city, seq) -> uint8 [F, height, width, 3]`, the frames written.
    """
    from PIL import Image

    written = {}
    for (split, city, seq), frames in layout.items():
        os.makedirs(os.path.join(root, split, city), exist_ok=True)
        arrays = rng.integers(0, 256, (len(frames), height, width, 3), dtype=np.uint8)
        for frame, array in zip(frames, arrays):
            Image.fromarray(array).save(cityscapes_png_path(root, split, city, seq, frame))
        written[(split, city, seq)] = arrays
    return written
