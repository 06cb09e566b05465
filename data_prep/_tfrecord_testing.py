"""Writers of synthetic data in the original BAIR layout, for tests and benchmarks only.

A trajectory is a dict of numpy arrays:
    image_aux1, image_main: uint8 [30, 64, 64, 3]
    action: float32 [30, 4]; endeffector_pos: float32 [30, 3]

Public API:
    bair_trajectory(rng, frames=30) -> dict (random pixels and floats)
    bair_features(trajectory) -> dict key -> tf.train.Feature, the archive's feature map
    bair_example_bytes(features) -> bytes, a serialized tf.train.Example
    write_bair_file(path, trajectories) -> path, one record per trajectory
"""

import os

import numpy as np

from data_prep import bair


def bair_trajectory(rng, frames=bair.FRAMES_PER_TRAJECTORY):
    """Returns one trajectory of random pixels and floats drawn from ``rng``."""
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
    """Serializes a feature map (see ``bair_features``) as a tf.train.Example."""
    import tensorflow as tf

    example = tf.train.Example(features=tf.train.Features(feature=features))
    return example.SerializeToString()


def write_bair_file(path, trajectories):
    """Writes one record per trajectory (dict, or already serialized bytes) to ``path``."""
    import tensorflow as tf

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with tf.io.TFRecordWriter(os.fspath(path)) as writer:
        for trajectory in trajectories:
            if not isinstance(trajectory, bytes):
                trajectory = bair_example_bytes(bair_features(trajectory))
            writer.write(trajectory)
    return path
