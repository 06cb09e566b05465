"""`vrnn_tf.score`: the protocol on given samples. Identical inputs score perfectly, noise
raises FVD, `evaluate`'s own samples score as `evaluate` scored them, inputs are checked at
the door, and every file format reads the same values."""

import json
import os
import subprocess
import sys
import zipfile

import imageio.v3 as iio
import numpy as np
import pytest

from data_prep import command_line
from vrnn_tf.evaluation import model_evaluation
from vrnn_tf.evaluation import protocol
from vrnn_tf.evaluation import sample_files
from vrnn_tf.evaluation import sample_scoring

from conftest import REPO
from conftest import cli_env


def moving_squares(num_clips, frames, size=32, seed=0):
    """float32 `[N, T, size, size, 1]`: a bright 10x10 square moving in a straight line."""
    rng = np.random.default_rng(seed)
    clips = np.zeros((num_clips, frames, size, size, 1), np.float32)
    for clip in clips:
        start, speed = rng.integers(0, size - 10, 2), rng.integers(-2, 3, 2)
        for t, frame in enumerate(clip):
            y, x = np.clip(start + speed * t, 0, size - 10)
            frame[y : y + 10, x : x + 10] = 1.0
    return clips


@pytest.fixture
def squares(tmp_path):
    """4 test clips of 2 context + 8 predicted frames at 32x32, saved as uint8 (0-255)."""
    clips = moving_squares(4, 10)
    path = str(tmp_path / "real.npy")
    np.save(path, np.round(clips * 255).astype(np.uint8))
    return clips, path


def test_identical_real_and_fake_give_fvd_0_and_ssim_1(squares, tmp_path):
    clips, real = squares
    fake = str(tmp_path / "fake.npy")
    np.save(fake, clips[:, 2:])  # [N, F, H, W, C]: one sample per clip, float 0-1
    out = str(tmp_path / "out")
    results = sample_scoring.score(real, fake, out, context_frames=2, fvd_repeats=2)
    assert abs(results["fvd"]["mean"]) < 1e-3 and len(results["fvd"]["repeats"]) == 2
    np.testing.assert_allclose(results["ssim"]["mean"], 1.0, atol=1e-5)
    np.testing.assert_allclose(results["lpips"]["mean"], 0.0, atol=1e-5)
    assert np.isinf(results["psnr"]["mean"])
    for name in ("results.json", "curves.csv", "curves.png", "samples.gif", "command.txt"):
        assert os.path.isfile(os.path.join(out, name)), name
    saved = json.load(open(os.path.join(out, "results.json")))
    settings = saved["settings"]
    assert settings["real_values"] == sample_files.UINT8_VALUES
    assert settings["fake_values"] == sample_files.FLOAT_VALUES
    assert (settings["num_sequences"], settings["num_samples"]) == (4, 1)
    assert (settings["future_frames"], settings["fvd_clip_frames"]) == (8, 10)
    assert "include the context frames" in saved["metric_definitions"]["fvd"]
    line = sample_scoring.summary(results)
    assert "\n" not in line
    for text in ("FVD ", "SSIM 1.0000", "context_frames=2", "fvd_repeats=2", "real=uint8"):
        assert text in line, (text, line)


def test_more_noise_on_the_samples_gives_a_larger_fvd(squares, tmp_path):
    clips, real = squares
    rng = np.random.default_rng(1)
    scores = []
    for sigma in (0.05, 0.3):
        noisy = clips[:, None, 2:] + rng.normal(scale=sigma, size=(4, 1) + clips[:, 2:].shape[1:])
        fake = str(tmp_path / f"fake_{sigma}.npy")
        np.save(fake, np.clip(noisy, 0, 1).astype(np.float32))  # [N, 1, F, H, W, C]
        results = sample_scoring.score(real, fake, str(tmp_path / f"out_{sigma}"), fvd_repeats=1)
        scores.append((results["fvd"]["mean"], results["ssim"]["mean"]))
    (fvd_small, ssim_small), (fvd_large, ssim_large) = scores
    assert 1.0 < fvd_small < fvd_large, scores  # identical clips: 0 (the test above)
    assert 1.0 > ssim_small > ssim_large, scores


def test_score_of_the_samples_evaluate_drew_equals_evaluate(tiny_workdir, tmp_path, monkeypatch):
    workdir, _ = tiny_workdir
    drawn = []  # (clips, samples) of every chunk the evaluation scored
    real_score_chunk = protocol.score_chunk

    def record(clips, samples, *args):
        drawn.append((clips, samples))
        return real_score_chunk(clips, samples, *args)

    monkeypatch.setattr(protocol, "score_chunk", record)
    # 3 sequences in chunks of 2 (the second short), 2 samples each, FVD on 9-frame clips.
    settings = dict(fvd_repeats=2, chunk_size=2, seed=3)
    evaluated = model_evaluation.evaluate(
        workdir, num_samples=2, num_sequences=3, future_frames=7, **settings
    )
    monkeypatch.setattr(protocol, "score_chunk", real_score_chunk)
    real, fake = str(tmp_path / "real.npy"), str(tmp_path / "fake.npz")
    np.save(real, np.concatenate([clips for clips, _ in drawn]))  # float32 [3, 9, 32, 32, 1]
    np.savez_compressed(fake, samples=np.concatenate([s for _, s in drawn]))  # [3, 2, 7, ...]
    out = str(tmp_path / "scored")
    scored = sample_scoring.score(real, fake, out, context_frames=2, **settings)
    for name in ("ssim", "psnr", "lpips"):
        for key in ("mean", "std_over_sequences"):
            np.testing.assert_allclose(scored[name][key], evaluated[name][key], rtol=1e-6)
        np.testing.assert_allclose(scored["curves"][name], evaluated["curves"][name], rtol=1e-6)
    np.testing.assert_allclose(scored["fvd"]["repeats"], evaluated["fvd"]["repeats"], rtol=1e-6)
    assert scored["num_sequences"] == evaluated["num_sequences"] == 3

    # A rerun reuses every chunk; new samples under the same name are scored again.
    def must_not_run(*args):
        raise AssertionError("chunk recomputed")

    monkeypatch.setattr(protocol, "score_chunk", must_not_run)
    again = sample_scoring.score(real, fake, out, context_frames=2, **settings)
    assert again["fvd"] == scored["fvd"] and again["ssim"] == scored["ssim"]
    assert len(os.listdir(os.path.join(out, "partial"))) == 2
    os.utime(fake, ns=(0, 0))  # as if rewritten
    with pytest.raises(AssertionError, match="chunk recomputed"):
        sample_scoring.score(real, fake, out, context_frames=2, **settings)


def test_inputs_that_cannot_be_scored_fail_at_the_door(tmp_path):
    def save(name, array):
        path = str(tmp_path / name)
        np.save(path, array)
        return path

    real = save("real.npy", np.zeros((3, 10, 32, 32, 1), np.uint8))
    fake = np.zeros((3, 2, 8, 32, 32, 1), np.float32)
    out = str(tmp_path / "out")

    def fails(match, real=real, fake=fake, **settings):
        if not isinstance(fake, str):
            fake = save("fake.npy", fake)
        with pytest.raises(command_line.UsageError, match=match):
            sample_scoring.score(real, fake, out, **settings)

    fails(r"--real holds 3 clips but --fake samples of 2", fake=fake[:2])
    fails(
        r"--real frames are 32x32 but --fake frames 32x33",
        fake=np.pad(fake, [(0, 0)] * 4 + [(0, 1), (0, 0)]),
    )
    fails(r"1 channel\(s\) but --fake frames 3", fake=np.repeat(fake, 3, axis=-1))
    fails(r"10 frames but --context_frames=2 plus --fake's 7", fake=fake[:, :, :7])
    fails(r"seems to hold the context too", fake=np.zeros((3, 2, 10, 32, 32, 1), np.float32))
    fails(r"Is --context_frames=2 meant", context_frames=3)
    fails(
        r"FVD clips of 8 frames .* too short for I3D .* set --fvd_with_context",
        fvd_with_context=False,
    )
    short = save("short.npy", np.zeros((3, 8, 32, 32, 1), np.uint8))
    fails(
        r"FVD clips of 8 frames .* too short for I3D \(at least 9\)",
        real=short,
        fake=fake[:, :, :6],
    )
    small = save("small.npy", np.zeros((3, 10, 30, 30, 1), np.uint8))
    fails(r"30x30 are too small for LPIPS", real=small, fake=fake[:, :, :, :30, :30])
    fails(
        r"FVD needs at least 2 clips",
        real=save("one.npy", np.zeros((1, 10, 32, 32, 1), np.uint8)),
        fake=fake[:1],
    )
    fails(r"values in \[255, 255\]. It looks like 0-255", fake=fake + np.float32(255) * (fake == 0))
    fails(
        r"values in \[-0.5, 0\]. Rescale",
        fake=fake - np.float32(0.5) * (np.arange(32) == 3)[:, None],
    )
    nan = fake.copy()
    nan[2, 1, 0, 0, 0, 0] = np.nan
    fails(r"clip 2 holds NaN", fake=nan)
    fails(r"int64 values: give uint8", fake=fake.astype(np.int64))
    fails(r"expected \[N, S, F, H, W, C\] or \[N, F, H, W, C\]", fake=fake[0, 0])
    fails(r"no such file or folder", fake=str(tmp_path / "nothing.npy"))
    two = str(tmp_path / "two.npz")
    np.savez(two, a=fake, b=fake)
    fails(r"holds 2 arrays \(a, b\): name one as .*two.npz:KEY", fake=two)
    fails(r"--fvd_repeats must be >= 1", fvd_repeats=0)
    assert not os.path.exists(out)  # nothing written
    # Well-formed inputs pass the checks.
    good = save("fake.npy", fake)
    real_clips = sample_files.open_clips("--real", real, samples_axis=False)
    fake_clips = sample_files.open_clips("--fake", f"{two}:b", samples_axis=True)
    sample_files.check_pair(real_clips, fake_clips, 2, True, 9, 31)
    assert sample_files.open_clips("--fake", good, True).shape == (3, 2, 8, 32, 32, 1)


def test_folders_and_archives_read_as_the_arrays(tmp_path):
    rng = np.random.default_rng(0)
    real = rng.integers(0, 256, size=(3, 10, 32, 32, 1), dtype=np.uint8)
    fake = rng.integers(0, 256, size=(3, 2, 8, 32, 32, 1), dtype=np.uint8)
    names = ["clip2", "clip10", "clip3"]  # natural order: clip2, clip3, clip10
    order = [0, 2, 1]
    for clip, name in enumerate(names):
        for t in range(10):  # REAL/<clip>/<frame>.png, grey
            path = tmp_path / "real" / name / f"{t}.png"
            os.makedirs(path.parent, exist_ok=True)
            iio.imwrite(path, real[clip, t, ..., 0])
        for sample in range(2):  # FAKE/<clip>/<sample>/<frame>.png
            for t in range(8):
                path = tmp_path / "fake" / name / f"s{sample}" / f"{t:03d}.png"
                os.makedirs(path.parent, exist_ok=True)
                iio.imwrite(path, fake[clip, sample, t, ..., 0])
    (tmp_path / "real" / "README.txt").write_text("not a clip")
    real_clips = sample_files.open_clips("--real", str(tmp_path / "real"), False)
    fake_clips = sample_files.open_clips("--fake", str(tmp_path / "fake"), True)
    sample_files.check_pair(real_clips, fake_clips, 2, True, 9, 31)
    assert real_clips.names == ["clip2", "clip3", "clip10"] == fake_clips.names
    assert real_clips.values == sample_files.UINT8_VALUES
    np.testing.assert_array_equal(real_clips.read(0, 3), real[order] / np.float32(255))
    np.testing.assert_array_equal(fake_clips.read(1, 3), fake[order][1:] / np.float32(255))

    # FAKE/<clip>.gif (one sample per clip, decoded to RGB) and archives.
    rgb = np.repeat(fake[:, 0], 3, axis=-1)  # [3, 8, 32, 32, 3]
    for clip, name in enumerate(names):
        os.makedirs(tmp_path / "gifs", exist_ok=True)
        iio.imwrite(tmp_path / "gifs" / f"{name}.gif", rgb[clip], duration=100, loop=0)
    gifs = sample_files.open_clips("--fake", str(tmp_path / "gifs"), True)
    assert gifs.shape == (3, 1, 8, 32, 32, 3)
    np.testing.assert_array_equal(gifs.read(0, 3)[:, 0], rgb[order] / np.float32(255))
    with pytest.raises(sample_files.InputError, match="1 channel\\(s\\) but --fake frames 3"):
        sample_files.check_pair(real_clips, gifs, 2, True, 9, 31)
    os.rename(tmp_path / "fake" / "clip3", tmp_path / "fake" / "clip4")
    renamed = sample_files.open_clips("--fake", str(tmp_path / "fake"), True)
    with pytest.raises(sample_files.InputError, match=r"1 real clip\(s\) have no samples"):
        sample_files.check_pair(real_clips, renamed, 2, True, 9, 31)

    for save in (np.savez, np.savez_compressed):
        path = str(tmp_path / f"{save.__name__}.npz")
        save(path, fake=fake.astype(np.float32) / 255, other=np.zeros(3))
        member = sample_files.NpzMember(path, "fake")
        stored = zipfile.ZipFile(path).getinfo("fake.npy").compress_type == zipfile.ZIP_STORED
        assert (member.memmap is not None) == stored, save.__name__
        for start, stop in ((1, 3), (0, 1), (2, 3)):  # forward, then a rewind
            np.testing.assert_array_equal(member[start:stop], fake[start:stop] / np.float32(255))
        member.close()
        clips = sample_files.open_clips("--fake", f"{path}:fake", True)
        np.testing.assert_allclose(clips.read(0, 3), fake / np.float32(255), rtol=1e-6)


def test_the_command_line_says_what_is_wrong(tmp_path):
    np.save(tmp_path / "real.npy", np.zeros((3, 10, 32, 32, 1), np.uint8))
    np.save(tmp_path / "fake.npy", np.zeros((3, 8, 32, 32, 1), np.uint8))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "vrnn_tf.score",
            f"--real={tmp_path / 'real.npy'}",
            f"--fake={tmp_path / 'fake.npy'}",
            f"--out={tmp_path / 'out'}",
            "--context_frames=3",
        ],
        cwd=REPO,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert "--context_frames=3 plus --fake's 8 predicted frames make 11" in result.stderr
    assert "Traceback" not in result.stderr
