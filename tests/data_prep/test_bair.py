"""Tests for data_prep/bair.py: record counts, exact frames, train windows, errors on bad data.

The data are small TFRecords written here in the archive's exact layout (raw RGB bytes per frame,
`'{i}/image_aux1/encoded'` etc.), 4 trajectories per file.
"""

import os

import numpy as np
import pytest
import tensorflow as tf

from data_prep import bair
from data_prep import bair_files
from tests.data_prep import tfrecord_testing as writers

PER_FILE = 4
TRAIN_FILES = ("traj_0_to_255", "traj_512_to_767", "traj_1024_to_1279")  # lexical order differs


def _to_float(frames):
    return frames.astype(np.float32) / np.float32(255.0)


@pytest.fixture(scope="module")
def bair_dir(tmp_path_factory):
    """softmotion30_44k-like folder -> (data_dir, {(folder, file stem): [trajectories]})."""
    root = tmp_path_factory.mktemp("softmotion30_44k")
    layout = [("train", name) for name in TRAIN_FILES + ("traj_256_to_511",)]
    layout.append(("test", "traj_0_to_255"))
    written = {}
    for number, (folder, stem) in enumerate(layout):
        rng = np.random.default_rng(number)
        trajectories = [writers.bair_trajectory(rng) for _ in range(PER_FILE)]
        writers.write_bair_file(root / folder / f"{stem}.tfrecords", trajectories)
        written[(folder, stem)] = trajectories
    return str(root), written


def _frames_index(written, folders):
    """Maps the bytes of every written aux1 frame -> (folder, stem, trajectory, frame)."""
    index = {}
    for (folder, stem), trajectories in written.items():
        if folder in folders:
            for t, trajectory in enumerate(trajectories):
                for i, frame in enumerate(trajectory["image_aux1"]):
                    index[frame.tobytes()] = (folder, stem, t, i)
    return index


def _locate(video, index):
    """(folder, stem, trajectory, start) of a float video, checking its frames are consecutive."""
    frames = np.rint(np.asarray(video) * 255.0).astype(np.uint8)
    places = [index[frame.tobytes()] for frame in frames]
    folder, stem, trajectory, start = places[0]
    assert places == [(folder, stem, trajectory, start + k) for k in range(len(frames))]
    np.testing.assert_array_equal(video, _to_float(frames))  # exactly uint8 / 255
    return folder, stem, trajectory, start


def test_count_records_reads_the_framing(bair_dir):
    data_dir, _ = bair_dir
    for path in bair_files.split_files(data_dir, "train"):
        assert bair.count_records(path) == PER_FILE


@pytest.mark.parametrize(
    "split, folder, stem, length",
    [("val", "train", "traj_256_to_511", 30), ("test", "test", "traj_0_to_255", 5)],
)
def test_val_and_test_are_exact_first_frames_in_file_order(bair_dir, split, folder, stem, length):
    data_dir, written = bair_dir
    dataset = bair.load(data_dir, split, sequence_length=length)
    assert dataset.element_spec.shape == (length, 64, 64, 3)
    assert int(dataset.cardinality()) == PER_FILE
    videos = list(dataset.as_numpy_iterator())
    assert len(videos) == PER_FILE
    for video, trajectory in zip(videos, written[(folder, stem)]):
        assert video.dtype == np.float32
        np.testing.assert_array_equal(video, _to_float(trajectory["image_aux1"][:length]))
    # Deterministic: a second pass gives the same videos.
    for again, video in zip(dataset.as_numpy_iterator(), videos):
        np.testing.assert_array_equal(again, video)


def test_with_actions_and_image_main(bair_dir):
    data_dir, written = bair_dir
    dataset = bair.load(
        data_dir, "test", sequence_length=7, image_key="image_main", with_actions=True
    )
    elements = list(dataset.as_numpy_iterator())
    for element, trajectory in zip(elements, written[("test", "traj_0_to_255")]):
        assert set(element) == {"video", "action", "endeffector_pos"}
        np.testing.assert_array_equal(element["video"], _to_float(trajectory["image_main"][:7]))
        np.testing.assert_array_equal(element["action"], trajectory["action"][:7])
        np.testing.assert_array_equal(element["endeffector_pos"], trajectory["endeffector_pos"][:7])
    assert len(elements) == PER_FILE


def test_train_windows_are_consecutive_frames_of_train_trajectories(bair_dir):
    data_dir, written = bair_dir
    index = _frames_index(written, folders=("train", "test"))
    num_train = len(TRAIN_FILES) * PER_FILE
    # One file at a time, no shuffle buffer: each run of 12 windows is one epoch, visiting every
    # trajectory once; 3 epochs show the stream repeats.
    dataset = bair.load(
        data_dir, "train", sequence_length=12, seed=3, shuffle_buffer=1, cycle_length=1
    )
    videos = list(dataset.take(3 * num_train).as_numpy_iterator())
    places = [_locate(video, index) for video in videos]
    assert {(folder, stem) for folder, stem, _, _ in places} == {("train", s) for s in TRAIN_FILES}
    for epoch in range(3):
        visited = sorted(
            (stem, t) for _, stem, t, _ in places[epoch * num_train : (epoch + 1) * num_train]
        )
        assert visited == sorted((stem, t) for stem in TRAIN_FILES for t in range(PER_FILE))
    starts = [start for _, _, _, start in places]
    assert min(starts) >= 0 and max(starts) <= 30 - 12
    assert len(set(starts)) > 5  # random, not always 0


def test_train_is_seeded_and_shuffled(bair_dir):
    data_dir, written = bair_dir
    index = _frames_index(written, folders=("train",))

    def places(seed):
        dataset = bair.load(data_dir, "train", sequence_length=4, seed=seed, shuffle_buffer=8)
        return [_locate(video, index) for video in dataset.take(16).as_numpy_iterator()]

    first = places(0)
    assert places(0) == first
    assert places(1) != first
    # Shuffled: consecutive windows do not simply follow file order.
    in_file_order = [(stem, t) for stem in TRAIN_FILES for t in range(PER_FILE)]
    assert [(stem, t) for _, stem, t, _ in first[:12]] != in_file_order


def test_train_shapes_and_batching(bair_dir):
    data_dir, _ = bair_dir
    dataset = bair.load(data_dir, "train", sequence_length=12, shuffle_buffer=4)
    assert dataset.element_spec.shape == (12, 64, 64, 3)
    batch = next(iter(dataset.batch(16, drop_remainder=True)))  # more than one epoch
    assert batch.shape == (16, 12, 64, 64, 3) and batch.dtype == tf.float32
    assert 0.0 <= float(tf.reduce_min(batch)) and float(tf.reduce_max(batch)) <= 1.0


@pytest.mark.parametrize("length", [0, 31, -1, 12.0, "12", True])
def test_sequence_length_must_be_1_to_30(bair_dir, length):
    with pytest.raises(ValueError, match=r"sequence_length must be an int in 1\.\.30"):
        bair.load(bair_dir[0], "test", sequence_length=length)


@pytest.mark.parametrize(
    "kwargs, setting",
    [
        ({"split": "validation"}, "valid splits"),
        ({"image_key": "image_aux2"}, "image_key"),
        ({"shuffle_buffer": 0}, "shuffle_buffer"),
    ],
)
def test_invalid_settings(bair_dir, kwargs, setting):
    kwargs = {"split": "train", **kwargs}
    with pytest.raises(ValueError, match=setting):
        bair.load(bair_dir[0], **kwargs)


def test_missing_folder_names_it_and_the_setting(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        bair.load(tmp_path / "nowhere", "train")
    message = str(error.value)
    assert os.path.join(str(tmp_path), "nowhere", "train") in message
    assert "bair_dataset.data_dir" in message


def test_folder_without_tfrecords(tmp_path):
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "README.txt").write_text("not data")
    with pytest.raises(FileNotFoundError, match=r"No \*\.tfrecords .*test.*bair_dataset\.data_dir"):
        bair.load(tmp_path, "test")


def test_val_needs_its_file(tmp_path):
    writers.write_bair_file(
        tmp_path / "train" / "traj_0_to_255.tfrecords",
        [writers.bair_trajectory(np.random.default_rng(0))],
    )
    with pytest.raises(FileNotFoundError, match="traj_256_to_511.tfrecords"):
        bair.load(tmp_path, "val")
    assert len(list(bair.load(tmp_path, "train", shuffle_buffer=1).take(2))) == 2


def _write_test_file(root, records):
    path = root / "test" / "traj_0_to_255.tfrecords"
    writers.write_bair_file(path, records)
    return str(path)


def _records_with_bad_second(bad_features):
    """Three records; the second (index 1) gets its feature map edited by `bad_features`."""
    rng = np.random.default_rng(7)
    records = []
    for number in range(3):
        features = writers.bair_features(writers.bair_trajectory(rng))
        if number == 1:
            bad_features(features)
        records.append(writers.bair_example_bytes(features))
    return records


def _iterate(data_dir, split="test", **kwargs):
    for _ in bair.load(data_dir, split, **kwargs):
        pass


def _short_image(features):
    features["7/image_aux1/encoded"] = tf.train.Feature(
        bytes_list=tf.train.BytesList(value=[b"\x00" * 12000])
    )


def _missing_image(features):
    del features["12/image_aux1/encoded"]


def _two_images(features):
    features["0/image_aux1/encoded"].bytes_list.value.append(b"\x00" * 12288)


def _float_image(features):
    features["3/image_aux1/encoded"] = tf.train.Feature(
        float_list=tf.train.FloatList(value=[0.0] * 12288)
    )


@pytest.mark.parametrize(
    "edit, key, what",
    [
        (_short_image, "7/image_aux1/encoded", "holds 12000 bytes, expected 12288"),
        (_missing_image, "12/image_aux1/encoded", "missing"),
        (_two_images, "0/image_aux1/encoded", "holds 2 values, expected 1"),
    ],
)
def test_bad_image_names_file_record_and_key(tmp_path, edit, key, what):
    path = _write_test_file(tmp_path, _records_with_bad_second(edit))
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        _iterate(tmp_path)
    message = error.value.message
    assert f"BAIR file {path}: record 1: key {key}: {what}" in message


def test_bad_frame_outside_the_window_is_still_an_error(tmp_path):
    _write_test_file(tmp_path, _records_with_bad_second(_missing_image))  # frame 12
    with pytest.raises(tf.errors.InvalidArgumentError, match="record 1: key 12/image_aux1"):
        _iterate(tmp_path, sequence_length=2)


def test_bad_record_in_train_is_not_swallowed(tmp_path):
    rng = np.random.default_rng(1)
    for stem in ("traj_0_to_255", "traj_512_to_767"):
        writers.write_bair_file(
            tmp_path / "train" / f"{stem}.tfrecords",
            [writers.bair_trajectory(rng) for _ in range(3)],
        )
    path = tmp_path / "train" / "traj_1024_to_1279.tfrecords"
    writers.write_bair_file(path, _records_with_bad_second(_short_image))
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        for _ in bair.load(tmp_path, "train", shuffle_buffer=2).take(20):
            pass
    assert f"BAIR file {path}: record 1: key 7/image_aux1/encoded: holds 12000 bytes" in (
        error.value.message
    )


def test_image_of_wrong_type_names_file_and_record(tmp_path):
    path = _write_test_file(tmp_path, _records_with_bad_second(_float_image))
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        _iterate(tmp_path)
    assert f"BAIR file {path}: record 1: cannot be read or parsed" in error.value.message


def test_record_that_is_not_an_example_names_file_and_record(tmp_path):
    records = _records_with_bad_second(lambda features: None)
    records[1] = b"\xff" * 1000  # a valid TFRecord, but not a tf.train.Example
    path = _write_test_file(tmp_path, records)
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        _iterate(tmp_path)
    assert f"BAIR file {path}: record 1: cannot be read or parsed" in error.value.message


@pytest.mark.parametrize(
    "key, values, what",
    [
        ("5/action", [1.0, 2.0, 3.0], "holds 3 floats, expected 4"),
        ("29/endeffector_pos", None, "holds 0 floats, expected 3 (missing"),
    ],
)
def test_bad_floats_with_actions(tmp_path, key, values, what):
    def edit(features):
        if values is None:
            del features[key]
        else:
            features[key] = tf.train.Feature(float_list=tf.train.FloatList(value=values))

    path = _write_test_file(tmp_path, _records_with_bad_second(edit))
    if values is None:
        _iterate(tmp_path)  # Without actions the float keys are not read.
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        _iterate(tmp_path, with_actions=True)
    assert f"BAIR file {path}: record 1: key {key}: {what}" in error.value.message


def _valid_file_bytes(tmp_path):
    path = _write_test_file(tmp_path, _records_with_bad_second(lambda features: None))
    with open(path, "rb") as f:
        return path, f.read()


@pytest.mark.parametrize(
    "cut, where",
    [
        (
            lambda record_size, size: size - 100,
            "the record needs bytes up to",
        ),  # in the last payload
        (lambda record_size, size: 2 * record_size + 5, "ends inside the record header"),
    ],
)
def test_truncated_file_names_file_and_record(tmp_path, cut, where):
    path, data = _valid_file_bytes(tmp_path)
    with open(path, "wb") as f:
        f.write(data[: cut(len(data) // 3, len(data))])  # The three records have equal sizes.
    with pytest.raises(ValueError) as error:
        bair.load(tmp_path, "test")
    message = str(error.value)
    assert f"BAIR file {path}: record 2: truncated file" in message
    assert where in message


def test_corrupt_header_names_file_and_record(tmp_path):
    path, data = _valid_file_bytes(tmp_path)
    record_size = len(data) // 3
    corrupt = bytearray(data)
    corrupt[record_size + 3] ^= 0x10  # the length field of record 1
    with open(path, "wb") as f:
        f.write(bytes(corrupt))
    with pytest.raises(ValueError, match=f"BAIR file {path}: record 1: corrupt record header"):
        bair.load(tmp_path, "test")


def test_corrupt_payload_names_file_and_record(tmp_path):
    path, data = _valid_file_bytes(tmp_path)
    record_size = len(data) // 3
    corrupt = bytearray(data)
    corrupt[record_size + 5000] ^= 0xFF  # inside record 1's payload: its checksum fails
    with open(path, "wb") as f:
        f.write(bytes(corrupt))
    dataset = bair.load(tmp_path, "test")  # The framing is intact.
    iterator = iter(dataset)
    next(iterator)  # Record 0 is fine.
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        next(iterator)
    assert f"BAIR file {path}: record 1: cannot be read or parsed" in error.value.message


def test_file_removed_after_load_is_an_error_not_a_hang(tmp_path):
    path, _ = _valid_file_bytes(tmp_path)
    dataset = bair.load(tmp_path, "test")
    os.remove(path)
    with pytest.raises(tf.errors.NotFoundError, match="traj_0_to_255.tfrecords"):
        for _ in dataset:
            pass
