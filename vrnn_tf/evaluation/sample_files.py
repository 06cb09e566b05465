"""Test clips and sampled futures from files, read chunk by chunk: `vrnn_tf.score`'s inputs.

REAL holds the test clips `[N, T, H, W, C]` (T = context + F frames), FAKE the sampled
futures `[N, S, F, H, W, C]` (S samples of each clip's F predicted frames; `[N, F, H, W, C]`
for one sample), C 1 (grey) or 3 (RGB). Each is

- an array: `FILE.npy`, or `FILE.npz` holding one array (`FILE.npz:KEY` names one of
  several). `.npy` files and arrays that `np.savez` stored uncompressed are memory-mapped;
  `np.savez_compressed` members are decompressed chunk by chunk. uint8 arrays hold 0-255
  (divided by 255), float arrays (float16/32/64) 0-1; other types are refused.
- a folder (frames are 8-bit images: 0-255):
  - REAL: one entry per clip, `REAL/<clip>.mp4` (any video imageio reads with its ffmpeg
    plugin: .mp4 .avi .mov .mkv .webm ..., or .gif) or `REAL/<clip>/<frame>.png` (a folder
    of .png / .jpg / ... frames, in natural order: `2.png` before `10.png`);
  - FAKE: `FAKE/<clip>/<sample>.mp4` or `FAKE/<clip>/<sample>/<frame>.png` (S samples per
    clip); with one sample per clip also `FAKE/<clip>.mp4` or `FAKE/<clip>/<frame>.png`.
  Clips are taken in natural order of their names; when REAL and FAKE are both folders,
  FAKE's clips are matched to REAL's by name, otherwise by order. Videos decode to RGB;
  grey PNGs stay grey. Names starting with '.' are ignored.

`open_clips` reads only what the shapes need (array headers; a folder's listing and its first
clip); `check_pair` checks everything that can be checked before any scoring, with errors
that say what to change; `Clips.read` returns float32 in [0, 1].
"""

import os
import zipfile
from typing import NamedTuple

import numpy as np

from data_prep import frame_reading

# The formats that the video converter reads (data_prep.frame_reading imports no decoder).
VIDEO_EXTENSIONS = frame_reading.VIDEO_EXTENSIONS
IMAGE_EXTENSIONS = frame_reading.IMAGE_EXTENSIONS
FLOAT_VALUES = "float 0-1"
UINT8_VALUES = "uint8 0-255 (divided by 255)"
# Float arrays are checked for NaNs and range in slices of this many bytes (bounded memory).
CHECK_BYTES = 1 << 28


class InputError(ValueError):
    """REAL or FAKE cannot be scored: unreadable, or shapes / values the protocol cannot use."""


def _visible(folder):
    return sorted(
        (n for n in os.listdir(folder) if not n.startswith(".")), key=frame_reading.natural_key
    )


def _is_video(name):
    return name.lower().endswith(VIDEO_EXTENSIONS)


def _is_image(name):
    return name.lower().endswith(IMAGE_EXTENSIONS)


class Clips:
    """One input (REAL or FAKE): its shape, how its values read, and chunks of it.

    Attributes:
        what: str. `--real` or `--fake` (names the input in errors).
        path: str.
        shape: tuple. `[N, T, H, W, C]` (REAL) or `[N, S, F, H, W, C]` (FAKE).
        values: str. `FLOAT_VALUES` or `UINT8_VALUES`.
        names: list of str (a folder's clip names) or None (an array).
    """

    what = path = shape = values = names = None

    def read(self, start, stop):
        """float32 `[stop - start, ...]` in [0, 1]: clips `start..stop - 1`."""
        raise NotImplementedError

    def check_values(self):
        """Raises InputError on NaNs or values outside the range (reads every value once)."""

    def identity(self):
        """JSON-able: changes when the input's files change (size, modification time)."""
        paths = [self.path]
        if os.path.isdir(self.path):
            paths = [os.path.join(root, n) for root, _, ns in os.walk(self.path) for n in ns]
        stats = [os.stat(p) for p in sorted(paths)]
        return [len(stats), sum(s.st_size for s in stats), max(s.st_mtime_ns for s in stats)]


class ArrayClips(Clips):
    """A `.npy` / `.npz` array (memory-mapped, or decompressed by chunks)."""

    def __init__(self, what, path, array, samples_axis):
        self.what, self.path, self.array = what, path, array
        self.shape = tuple(array.shape)
        self.samples_axis = samples_axis
        if samples_axis and len(self.shape) == 5:  # one sample per clip
            self.shape = self.shape[:1] + (1,) + self.shape[1:]
        dtype = np.dtype(array.dtype)
        if dtype == np.uint8:
            self.values = UINT8_VALUES
        elif dtype.kind == "f":
            self.values = FLOAT_VALUES
        else:
            raise InputError(
                f"{what} {path} holds {dtype} values: give uint8 (0-255) or float (0-1), e.g. "
                "`np.save(path, clips.astype(np.uint8))`."
            )

    def _raw(self, start, stop):
        return np.asarray(self.array[start:stop]).reshape((stop - start,) + self.shape[1:])

    def read(self, start, stop):
        raw = self._raw(start, stop)
        if self.values == UINT8_VALUES:
            return raw.astype(np.float32) / np.float32(255.0)
        return raw.astype(np.float32)

    def check_values(self):
        if self.values == UINT8_VALUES:
            return
        per_clip = int(np.prod(self.shape[1:])) * np.dtype(self.array.dtype).itemsize
        step = max(1, CHECK_BYTES // max(1, per_clip))
        for start in range(0, self.shape[0], step):
            stop = min(start + step, self.shape[0])
            raw = self._raw(start, stop)
            finite = np.isfinite(raw).reshape(len(raw), -1).all(axis=1)
            if not finite.all():
                raise InputError(
                    f"{self.what} {self.path}: clip {start + int(np.argmin(finite))} holds NaN "
                    "or infinite values."
                )
            low, high = float(raw.min()), float(raw.max())
            if low < 0.0 or high > 1.0:
                hint = (
                    " It looks like 0-255: save it as uint8, or divide by 255."
                    if high > 1.0 and high <= 255.0 and low >= 0.0
                    else " Rescale it to [0, 1] (np.clip for values just outside)."
                )
                raise InputError(
                    f"{self.what} {self.path}: float values must lie in [0, 1]; clips "
                    f"{start}..{stop - 1} hold values in [{low:.4g}, {high:.4g}].{hint}"
                )


class _Sample(NamedTuple):
    """One video of a folder: a video file, or a folder of frames (`frames` lists them)."""

    path: str
    frames: tuple = ()


class FolderClips(Clips):
    """A folder of videos or frame folders (module docstring); uint8 frames."""

    values = UINT8_VALUES

    def __init__(self, what, path, samples_axis):
        self.what, self.path, self.samples_axis = what, path, samples_axis
        self.clips = {}  # name -> list of _Sample
        for entry in _visible(path):
            full = os.path.join(path, entry)
            if os.path.isdir(full):
                name, videos = entry, self._folder_entry(full)
            elif _is_video(entry):
                name, videos = os.path.splitext(entry)[0], [_Sample(full)]
            else:
                continue  # not a clip (a README, a list of files)
            if name in self.clips:
                raise InputError(f"{what} {path}: two entries name clip {name!r}.")
            self.clips[name] = videos
        if not self.clips:
            layout = "<clip>/<sample>.mp4 or <clip>/<sample>/<frame>.png" if samples_axis else ""
            raise InputError(
                f"{what} {path} holds no clips: expected <clip>.mp4 or <clip>/<frame>.png "
                f"entries{' (or ' + layout + ')' if layout else ''}; see "
                "vrnn_tf/evaluation/sample_files.py."
            )
        self.names = list(self.clips)
        counts = {name: len(videos) for name, videos in self.clips.items()}
        if len(set(counts.values())) > 1:
            first = self.names[0]
            other = next(n for n in self.names if counts[n] != counts[first])
            raise InputError(
                f"{what} {path}: clips hold different numbers of samples ({first!r}: "
                f"{counts[first]}, {other!r}: {counts[other]}); every clip needs the same number."
            )
        first = self._read_clip(self.names[0])
        self.shape = (len(self.names),) + first.shape
        self._cache = {self.names[0]: first}  # read for its shape; scored first

    def _folder_entry(self, folder):
        names = _visible(folder)
        images = [n for n in names if _is_image(n)]
        if not self.samples_axis or images:  # a clip's frames (one sample of FAKE)
            if not images:
                raise InputError(
                    f"{self.what} {folder}: a clip folder must hold its frames "
                    f"({'/'.join(IMAGE_EXTENSIONS)} images)."
                )
            return [_Sample(folder, tuple(images))]
        samples = []
        for name in names:
            full = os.path.join(folder, name)
            if os.path.isdir(full):
                frames = tuple(n for n in _visible(full) if _is_image(n))
                if not frames:
                    raise InputError(f"{self.what} {full}: a sample folder holds no frames.")
                samples.append(_Sample(full, frames))
            elif _is_video(name):
                samples.append(_Sample(full))
        if not samples:
            raise InputError(
                f"{self.what} {folder}: holds no samples (<sample>.mp4 videos or <sample>/ "
                "folders of frames)."
            )
        return samples

    def reorder(self, names):
        """Takes the clips in the order of `names` (REAL's), which must be FAKE's names."""
        missing = [n for n in names if n not in self.clips]
        extra = [n for n in self.names if n not in set(names)]
        if missing or extra:
            raise InputError(
                f"--real and --fake name different clips: {len(missing)} real clip(s) have no "
                f"samples (e.g. {missing[:3]}), {len(extra)} fake clip(s) no real clip (e.g. "
                f"{extra[:3]})."
            )
        self.names = list(names)

    def _read_video(self, sample):
        import imageio.v3 as iio

        try:
            if sample.frames:
                frames = [iio.imread(os.path.join(sample.path, n)) for n in sample.frames]
            else:
                frames = list(iio.imiter(sample.path))
        except Exception as error:  # imageio's plugins (ffmpeg, pillow) fail in their own ways
            raise InputError(f"{self.what} {sample.path}: cannot read it: {error!r}") from error
        if not frames:
            raise InputError(f"{self.what} {sample.path}: no frames.")
        shapes = {np.shape(f) for f in frames}
        if len(shapes) > 1:
            raise InputError(f"{self.what} {sample.path}: frames of several shapes {shapes}.")
        video = np.stack(frames)
        if video.ndim == 3:  # grey images
            video = video[..., None]
        if video.dtype != np.uint8:
            raise InputError(
                f"{self.what} {sample.path}: {video.dtype} pixels; frames must be 8-bit images."
            )
        if video.shape[-1] == 4:  # RGBA: an opaque alpha channel carries nothing
            if video[..., 3].min() < 255:
                raise InputError(f"{self.what} {sample.path}: transparent pixels; save RGB.")
            video = video[..., :3]
        if video.shape[-1] == 2:  # grey + alpha
            video = video[..., :1]
        return video

    def _read_clip(self, name):
        videos = [self._read_video(sample) for sample in self.clips[name]]
        for sample, video in zip(self.clips[name][1:], videos[1:]):
            if video.shape != videos[0].shape:
                raise InputError(
                    f"{self.what} {sample.path}: shape {list(video.shape)}, but "
                    f"{self.clips[name][0].path} has {list(videos[0].shape)}."
                )
        return np.stack(videos) if self.samples_axis else videos[0]

    def read(self, start, stop):
        clips = []
        for name in self.names[start:stop]:
            clip = self._cache.pop(name, None)
            clip = self._read_clip(name) if clip is None else clip
            if clip.shape != self.shape[1:]:
                raise InputError(
                    f"{self.what} {self.path}: clip {name!r} has shape {list(clip.shape)}, the "
                    f"first clip {list(self.shape[1:])}; every clip needs the same shape."
                )
            clips.append(clip)
        return np.stack(clips).astype(np.float32) / np.float32(255.0)


def _open_array(what, path):
    """The array of a `.npy` (memory-mapped) or a `.npz` member (`FILE.npz:KEY`)."""
    key = None
    if not os.path.exists(path) and ".npz:" in path:
        path, key = path.rsplit(":", 1)
    if not os.path.isfile(path):
        raise InputError(f"{what} {path}: no such file or folder.")
    if path.lower().endswith(".npy"):
        try:
            return path, np.load(path, mmap_mode="r", allow_pickle=False)
        except Exception as error:  # OSError, ValueError, EOFError (empty), SyntaxError (header)
            raise InputError(f"{what} {path}: not a readable .npy array: {error!r}") from error
    try:
        return path, NpzMember(path, key)
    except InputError as error:
        raise InputError(f"{what} {path}: {error}") from error
    except Exception as error:  # zipfile.BadZipFile, ValueError (header)
        raise InputError(f"{what} {path}: not a readable .npz archive: {error!r}") from error


class NpzMember:
    """An array in an `.npz`, sliced along its first axis without reading the rest.

    Stored (`np.savez`) members are memory-mapped; compressed ones (`np.savez_compressed`)
    are decompressed up to the rows asked for. Supports `shape`, `dtype` and `[start:stop]`.
    """

    def __init__(self, path, key=None):
        self.path = path
        with zipfile.ZipFile(path) as archive:
            names = [n[: -len(".npy")] for n in archive.namelist() if n.endswith(".npy")]
            if key is None:
                if len(names) != 1:
                    raise InputError(
                        f"holds {len(names)} arrays ({', '.join(names)}): name one as {path}:KEY."
                    )
                key = names[0]
            if key not in names:
                raise InputError(f"holds no array {key!r} (it holds {', '.join(names)}).")
            self.info = archive.getinfo(key + ".npy")
            with archive.open(self.info) as f:
                version = np.lib.format.read_magic(f)
                read_header = (
                    np.lib.format.read_array_header_1_0
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0
                )
                self.shape, fortran_order, self.dtype = read_header(f)
                self.data_offset = f.tell()
        if self.dtype.hasobject:
            raise InputError(f"array {key!r} holds Python objects; give numbers.")
        self.key = key
        self.row_bytes = int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize
        self.memmap = None
        self._stream = self._archive = None
        if fortran_order:  # rows are not contiguous: read it whole
            with np.load(path, allow_pickle=False) as archive:
                self.memmap = archive[key]
        elif self.info.compress_type == zipfile.ZIP_STORED:
            with open(path, "rb") as f:  # the member's data follows its local header
                f.seek(self.info.header_offset)
                header = f.read(30)
            start = (
                self.info.header_offset
                + 30
                + int.from_bytes(header[26:28], "little")
                + int.from_bytes(header[28:30], "little")
            )
            self.memmap = np.memmap(
                path, self.dtype, "r", offset=start + self.data_offset, shape=tuple(self.shape)
            )

    def __getitem__(self, rows):
        if self.memmap is not None:
            return self.memmap[rows]
        start, stop, _ = rows.indices(self.shape[0])
        count = max(0, stop - start)
        position = self.data_offset + start * self.row_bytes
        if self._stream is None or self._stream.tell() > position:  # rewinding: start again
            self.close()
            self._archive = zipfile.ZipFile(self.path)
            self._stream = self._archive.open(self.info)
        self._stream.seek(position)  # forward: decompresses what lies between
        data = self._stream.read(count * self.row_bytes)
        return np.frombuffer(data, self.dtype).reshape((count,) + tuple(self.shape[1:]))

    def close(self):
        """Closes the decompressing stream (a later read opens it again)."""
        if self._stream is not None:
            self._stream.close()
            self._archive.close()
        self._stream = self._archive = None


def open_clips(what, path, samples_axis):
    """REAL (`samples_axis` False) or FAKE (True) as `Clips` (module docstring)."""
    if os.path.isdir(path):
        return FolderClips(what, path, samples_axis)
    path, array = _open_array(what, path)
    clips = ArrayClips(what, path, array, samples_axis)
    expected = "[N, S, F, H, W, C] or [N, F, H, W, C]" if samples_axis else "[N, T, H, W, C]"
    if len(clips.shape) != (6 if samples_axis else 5):
        raise InputError(f"{what} {path}: shape {list(array.shape)}, expected {expected}.")
    return clips


def check_pair(real, fake, context_frames, fvd_with_context, min_frames, min_size):
    """Everything about REAL and FAKE that the protocol needs, before any scoring.

    Args:
        real, fake: `Clips` (`[N, T, H, W, C]`, `[N, S, F, H, W, C]`).
        context_frames: int. The first frames of REAL's clips that the model was given.
        fvd_with_context: bool. FVD clips hold the context frames too.
        min_frames: int. I3D's shortest clip.
        min_size: int. LPIPS's smallest frame side.

    Raises:
        InputError, saying what disagrees and what to change.
    """
    n, t, h, w, c = real.shape
    n_fake, _, f, h_fake, w_fake, c_fake = fake.shape
    for name, clips in (("real", real), ("fake", fake)):
        if min(clips.shape) == 0:
            raise InputError(f"--{name} holds no values: shape {list(clips.shape)}.")
    if real.names is not None and fake.names is not None:
        fake.reorder(real.names)
    elif n_fake != n:
        raise InputError(
            f"--real holds {n} clips but --fake samples of {n_fake}: give the samples of every "
            "test clip, in the same order."
        )
    if n < 2:
        raise InputError(f"FVD needs at least 2 clips; --real holds {n}.")
    if (h_fake, w_fake) != (h, w):
        raise InputError(
            f"--real frames are {h}x{w} but --fake frames {h_fake}x{w_fake} (height x width): "
            "score the samples at the test clips' resolution."
        )
    if c_fake != c:
        raise InputError(
            f"--real frames have {c} channel(s) but --fake frames {c_fake} (videos decode to 3 "
            "RGB channels): give both grey or both RGB (e.g. np.repeat(clips, 3, axis=-1))."
        )
    if c not in (1, 3):
        raise InputError(f"Frames must have 1 (grey) or 3 (RGB) channels, not {c}.")
    if context_frames < 0:
        raise InputError(f"--context_frames must be >= 0, got {context_frames}.")
    if t != context_frames + f:
        if f == t and context_frames:
            hint = f" --fake seems to hold the context too: drop its first {context_frames} frames."
        elif t > f:
            hint = f" Is --context_frames={t - f} meant?"
        else:
            hint = ""
        raise InputError(
            f"--real clips have {t} frames but --context_frames={context_frames} plus --fake's "
            f"{f} predicted frames make {context_frames + f}.{hint}"
        )
    fvd_frames = t if fvd_with_context else f
    if fvd_frames < min_frames:
        held = "context + predicted" if fvd_with_context else "predicted only"
        raise InputError(
            f"FVD clips of {fvd_frames} frames ({held}) are too short for I3D (at least "
            f"{min_frames})" + ("." if fvd_with_context else ": set --fvd_with_context.")
        )
    if min(h, w) < min_size:
        raise InputError(
            f"Frames of {h}x{w} are too small for LPIPS's AlexNet (at least {min_size}x{min_size})."
        )
    real.check_values()
    fake.check_values()
