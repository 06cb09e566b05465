"""Fuzzing the BAIR and Cityscapes readers with seeded corruptions of valid files.

Each case damages one file of a small valid data folder (truncation, flipped bytes, an empty file,
garbage appended, records of the wrong shape or type, a missing key, a damaged summary) and reads
the whole split. Every case must end in an exception whose message names the damaged file, or,
where the damage leaves valid records (a cut exactly between records), return exactly the
records still present; never hang (each read runs under a timeout) and never return other data.
"""

import gc
import json
import os
import shutil
import threading

import numpy as np
import pytest
import tensorflow as tf

from data_prep import bair
from data_prep import cityscapes_clips
from data_prep import cityscapes_sequences
from data_prep import cityscapes_shards
from tests.data_prep import tfrecord_testing as writers

from conftest import damage_bytes

TIMEOUT_S = 120
# Every kind of damage once (`make test`); several seeded rounds of each with `make test-all`.
ROUNDS = [1, pytest.param(4, marks=pytest.mark.slow)]


def read_all(dataset_fn):
    """Every element of the dataset `dataset_fn()` builds, or the exception; fails on a hang."""
    outcome = {}

    def run():
        try:
            outcome["elements"] = list(dataset_fn().as_numpy_iterator())
        except Exception as error:  # what is raised is the point: checked by the caller
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(TIMEOUT_S)
    assert not thread.is_alive(), f"reading hung for {TIMEOUT_S} s"
    # The error's traceback keeps the failed iterator (and its tf.data threads) alive until the
    # cycle collector runs; some 30 such iterators in one process starve TensorFlow's thread
    # pools and the next read hangs (seen on 2 cores). Free each one now.
    gc.collect()
    return outcome


def record_spans(data):
    """(start, end) byte offsets of each record of an intact TFRecord file."""
    spans, offset = [], 0
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 8], "little")
        spans.append((offset, offset + 12 + length + 4))
        offset = spans[-1][1]
    return spans


def tfrecord_bytes(records, tmp_path):
    path = os.path.join(tmp_path, "scratch.tfrecord")
    with tf.io.TFRecordWriter(path) as writer:
        for record in records:
            writer.write(record)
    return open(path, "rb").read()


def byte_corruption(kind, data, rng):
    """`(damaged bytes, number of leading records left intact or None if the file is bad)`."""
    spans = record_spans(data)
    if kind == "cut_between_records":
        keep = int(rng.integers(1, len(spans)))
        return data[: spans[keep - 1][1]], keep
    damaged = damage_bytes(kind, data, rng)
    ends = [end for _, end in spans]
    if kind == "truncate" and len(damaged) in ends:  # a cut exactly between records
        return damaged, ends.index(len(damaged)) + 1
    return damaged, None


BYTE_KINDS = ["truncate", "cut_between_records", "flip", "empty", "garbage_tail"]


def check_outcome(outcome, path, expected):
    """An error naming `path`, or exactly `expected` (a list of elements; None: must fail)."""
    if "error" in outcome:
        assert path in str(outcome["error"]), (
            f"{type(outcome['error']).__name__}: {outcome['error']}"
        )
        return "error"
    assert expected is not None, f"no error for a damaged {path}"
    got = outcome["elements"]
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        if isinstance(b, dict):
            for key in b:
                np.testing.assert_array_equal(a[key], b[key])
        else:
            np.testing.assert_array_equal(a, b)
    return "valid"


BAIR_RECORDS = 3


def bair_record_corruption(kind, trajectories, rng):
    """Serialized records, one of them of the wrong shape or type."""
    records = [writers.bair_example_bytes(writers.bair_features(t)) for t in trajectories]
    victim = int(rng.integers(len(records)))
    features = writers.bair_features(trajectories[victim])
    frame = int(rng.integers(bair.FRAMES_PER_TRAJECTORY))
    if kind == "wrong_image_size":
        size = int(rng.choice([0, 64 * 64, bair.IMAGE_BYTES - 1, bair.IMAGE_BYTES + 3]))
        features[f"{frame}/image_aux1/encoded"] = tf.train.Feature(
            bytes_list=tf.train.BytesList(value=[b"\x07" * size])
        )
    elif kind == "missing_key":
        del features[rng.choice([f"{frame}/image_aux1/encoded", f"{frame}/action"])]
    elif kind == "wrong_action_count":
        features[f"{frame}/action"] = tf.train.Feature(
            float_list=tf.train.FloatList(value=[1.0] * int(rng.choice([0, 3, 5])))
        )
    elif kind == "wrong_type":
        features[f"{frame}/image_aux1/encoded"] = tf.train.Feature(
            float_list=tf.train.FloatList(value=[0.5] * 4)
        )
    elif kind == "not_an_example":
        records[victim] = rng.integers(0, 256, int(rng.integers(1, 200)), dtype=np.uint8).tobytes()
        return records
    records[victim] = writers.bair_example_bytes(features)
    return records


BAIR_RECORD_KINDS = [
    "wrong_image_size",
    "missing_key",
    "wrong_action_count",
    "wrong_type",
    "not_an_example",
]


def bair_elements(trajectories):
    return [
        {
            "video": t["image_aux1"].astype(np.float32) / np.float32(255.0),
            "action": t["action"],
            "endeffector_pos": t["endeffector_pos"],
        }
        for t in trajectories
    ]


@pytest.mark.parametrize("rounds", ROUNDS)
def test_bair_reader_survives_corrupted_files(tmp_path, rounds):
    rng = np.random.default_rng(2024 + rounds)
    trajectories = [writers.bair_trajectory(rng) for _ in range(BAIR_RECORDS)]
    valid = tfrecord_bytes(
        [writers.bair_example_bytes(writers.bair_features(t)) for t in trajectories], tmp_path
    )
    outcomes = {}
    for case, kind in enumerate((BYTE_KINDS + BAIR_RECORD_KINDS) * rounds):
        data_dir = tmp_path / f"case{case}"
        path = str(data_dir / "test" / "traj_0_to_255.tfrecords")
        os.makedirs(os.path.dirname(path))
        if kind in BYTE_KINDS:
            damaged, intact = byte_corruption(kind, valid, rng)
            with open(path, "wb") as f:
                f.write(damaged)
        else:
            writers.write_bair_file(path, bair_record_corruption(kind, trajectories, rng))
            intact = None
        expected = None if intact is None else bair_elements(trajectories[:intact])
        outcome = read_all(
            lambda: bair.load(str(data_dir), "test", sequence_length=30, with_actions=True)
        )
        result = check_outcome(outcome, path, expected)
        outcomes[f"{kind}:{result}"] = outcomes.get(f"{kind}:{result}", 0) + 1
        shutil.rmtree(data_dir)
    print("BAIR fuzz outcomes:", json.dumps(outcomes, sort_keys=True))
    assert sum(outcomes.values()) == (len(BYTE_KINDS) + len(BAIR_RECORD_KINDS)) * rounds


RESOLUTION = 4
SEQUENCES = 5  # shards of 2: 2 + 2 + 1


def cityscapes_frames(rng):
    return rng.integers(
        0,
        256,
        (cityscapes_sequences.FRAMES_PER_SEQUENCE, RESOLUTION, RESOLUTION, 3),
        dtype=np.uint8,
    )


@pytest.fixture(scope="module")
def cityscapes_conversion(tmp_path_factory):
    """A valid converted val split (5 sequences of 30 frames at 4x4) -> (folder, {id: frames})."""
    rng = np.random.default_rng(7)
    out = str(tmp_path_factory.mktemp("cityscapes_valid"))
    infos = [
        cityscapes_sequences.SequenceInfo("ulm", s, tuple(range(30)), ()) for s in range(SEQUENCES)
    ]
    frames = {info.id: cityscapes_frames(rng) for info in infos}
    cityscapes_shards.write_split(
        out,
        "val",
        infos,
        lambda info: frames[info.id],
        RESOLUTION,
        shard_size=2,
        progress=False,
        num_test_sequences=3,
    )
    return out, frames


def cityscapes_record_corruption(kind, shard_bytes, rng):
    """The records of a shard, one with the wrong shape or type."""
    records = []
    for start, end in record_spans(shard_bytes):
        records.append(shard_bytes[start + 12 : end - 4])
    victim = int(rng.integers(len(records)))
    example = tf.train.Example.FromString(records[victim])
    feature = example.features.feature
    if kind == "wrong_frame_size":
        frames = list(feature["frames"].bytes_list.value)
        at = int(rng.integers(len(frames)))
        frames[at] = frames[at][: int(rng.integers(0, len(frames[at])))]
        feature["frames"].bytes_list.ClearField("value")
        feature["frames"].bytes_list.value.extend(frames)
    elif kind == "wrong_frame_count":
        frames = list(feature["frames"].bytes_list.value)
        at = int(rng.integers(len(frames) - 2))
        del frames[at : at + int(rng.integers(1, 3))]
        feature["frames"].bytes_list.ClearField("value")
        feature["frames"].bytes_list.value.extend(frames)
    elif kind == "missing_key":
        del feature[str(rng.choice(["frames", "sequence_id"]))]
    elif kind == "wrong_type":
        feature["frames"].ClearField("bytes_list")
        feature["frames"].float_list.value.extend([0.5, 0.25])
    elif kind == "not_an_example":
        records[victim] = rng.integers(0, 256, int(rng.integers(1, 200)), dtype=np.uint8).tobytes()
        return records
    records[victim] = example.SerializeToString()
    return records


CITYSCAPES_RECORD_KINDS = [
    "wrong_frame_size",
    "wrong_frame_count",
    "missing_key",
    "wrong_type",
    "not_an_example",
]
SUMMARY_KINDS = ["summary_truncate", "summary_flip", "summary_empty"]


@pytest.mark.parametrize("rounds", ROUNDS)
def test_cityscapes_reader_survives_corrupted_files(cityscapes_conversion, tmp_path, rounds):
    valid_dir, frames = cityscapes_conversion
    summary = cityscapes_clips.read_summary(valid_dir, "val")
    expected = [frames[i].astype(np.float32) / np.float32(255.0) for i in summary["sequences"]]
    rng = np.random.default_rng(2025 + rounds)
    outcomes = {}
    kinds = BYTE_KINDS + CITYSCAPES_RECORD_KINDS + SUMMARY_KINDS
    for case, kind in enumerate(kinds * rounds):
        out = str(tmp_path / f"case{case}")
        shutil.copytree(valid_dir, out)
        summary_path = os.path.join(out, "summary_val.json")
        if kind in SUMMARY_KINDS:
            path = summary_path
            damaged = bytearray(open(path, "rb").read())
            if kind == "summary_truncate":
                damaged = damaged[: int(rng.integers(0, len(damaged)))]
            elif kind == "summary_empty":
                damaged = b""
            else:
                damaged[int(rng.integers(len(damaged)))] ^= int(rng.integers(1, 128))
            intact = "maybe"  # a flip inside a name (source, a sequence id) leaves it valid
        else:
            entry = summary["shards"][int(rng.integers(len(summary["shards"])))]
            path = os.path.join(out, entry["file"])
            data = open(path, "rb").read()
            if kind in BYTE_KINDS:
                damaged, intact = byte_corruption(kind, data, rng)
                intact = None  # the summary pins every shard's size: any change is an error
            else:
                damaged = tfrecord_bytes(cityscapes_record_corruption(kind, data, rng), tmp_path)
                intact = None
                # Keep the summary consistent with the rewritten shard: only the records are bad.
                written = json.load(open(summary_path))
                for shard in written["shards"]:
                    if shard["file"] == entry["file"]:
                        shard["bytes"] = len(damaged)
                json.dump(written, open(summary_path, "w"))
        with open(path, "wb") as f:
            f.write(damaged)
        outcome = read_all(lambda: cityscapes_clips.load(out, "val", sequence_length=30))
        if intact == "maybe" and "error" not in outcome:
            result = check_outcome(outcome, path, expected)  # unchanged data, exactly
        else:
            result = check_outcome(outcome, path, None)
        outcomes[f"{kind}:{result}"] = outcomes.get(f"{kind}:{result}", 0) + 1
        shutil.rmtree(out)
    print("Cityscapes fuzz outcomes:", json.dumps(outcomes, sort_keys=True))
    assert sum(outcomes.values()) == len(kinds) * rounds
