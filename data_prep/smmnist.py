"""Stochastic Moving MNIST (Denton & Fergus, 2018), generated on the fly.

Each sequence is `num_digits` MNIST digits, resized to `digit_size` x `digit_size`, bouncing
around an `image_size` x `image_size` black canvas. Defaults follow the paper (the constants
below): 64x64 canvas, 2 digits of 32x32, integer velocities in [-4, 4] px/frame per axis.
Unlike the deterministic Moving MNIST, a wall hit redraws the velocity at random (see
`step_digit`), which is what makes the future uncertain. Overlapping digits are summed and
clipped to 1. The digits are MNIST's, read offline (`data_prep.mnist_digits`).

Public API:
    IMAGE_SIZE, DIGIT_SIZE, NUM_DIGITS, MAX_SPEED, SEQUENCE_LENGTH: the paper's settings
    step_digit(position, velocity, rng, limit, max_speed) -> (position, velocity)
    compose_frames(images, trajectories, image_size) -> float32 [T, H, W, 1]
    resize_matrix(in_size, out_size) -> float32 [out_size, in_size]
    StochasticMovingMNIST(digits, ...).sample(rng) -> float32 [T, H, W, 1] in [0, 1]
    load(split, sequence_length, ...) -> tf.data.Dataset of float32 [T, H, W, 1]
    numpy_batch(split, batch_size, sequence_length, seed, ...) -> float32 [B, T, H, W, 1]

Sequence `i` of a split is generated from `np.random.default_rng([seed, split_key, i])` only,
so `load` and `numpy_batch` produce the same sequences, on any run, for any prefix. This
module imports TensorFlow only inside `load`: `numpy_batch` works on machines without
TensorFlow (the JAX backend).
"""

import numpy as np

from data_prep import mnist_digits

# The paper's settings: the defaults of the generator, `load`, `numpy_batch` and the gin
# dataset (`vrnn_tf.data.datasets.StochasticMovingMnist`).
IMAGE_SIZE = 64  # canvas side, pixels
DIGIT_SIZE = 32  # side of the resized digits
NUM_DIGITS = 2  # digits per sequence
MAX_SPEED = 4  # largest speed, pixels per frame per axis
SEQUENCE_LENGTH = 15  # frames: 5 of context, 10 to predict
DEFAULT_NUM_TEST_SEQUENCES = 256
# Mixed into each sequence's seed so that train and test streams never share random draws.
_SPLIT_KEYS = {"train": 0, "test": 1}


def step_digit(position, velocity, rng, limit, max_speed):
    """Moves one digit by one frame, bouncing off the walls at random.

    The rule (Denton & Fergus 2018, "SM-MNIST"):
      1. Move: `p' = p + v` on every axis.
      2. Check each axis after moving: the wall is hit when `p' < 0` (low wall) or
         `p' > limit` (high wall). Landing exactly on 0 or `limit` is not a hit.
      3. If no axis hit a wall, the velocity is kept and `rng` is not used.
      4. Otherwise clamp `p'` into `[0, limit]` and redraw the velocity: a component that hit
         a wall gets magnitude uniform in `1..max_speed` pointing away from that wall; every
         other component is redrawn uniform in `[-max_speed, max_speed]`. (In a corner both
         components hit and both point away; Denton's code handles the axes in turn, so there the
         second axis can overwrite the first one's away-velocity. The clamp keeps both in bounds.)

    Args:
        position: int array `[D]` (`D = 2`: row, column), the digit's top-left corner.
        velocity: int array `[D]`, pixels per frame.
        rng: `np.random.Generator`.
        limit: int >= 0. Largest valid coordinate.
        max_speed: int >= 1.

    Returns:
        `(new_position, new_velocity)`: new int64 arrays `[D]`; the inputs are not modified.
    """
    position = np.asarray(position, dtype=np.int64)
    velocity = np.asarray(velocity, dtype=np.int64)
    new_position = position + velocity
    low = new_position < 0
    high = new_position > limit
    if not (low.any() or high.any()):
        return new_position, velocity.copy()
    new_position = np.clip(new_position, 0, limit)
    away = rng.integers(1, max_speed + 1, size=position.shape)
    free = rng.integers(-max_speed, max_speed + 1, size=position.shape)
    new_velocity = np.where(low, away, np.where(high, -away, free)).astype(np.int64)
    return new_position, new_velocity


def compose_frames(images, trajectories, image_size):
    """Pastes digits onto black canvases, summing overlaps and clipping to 1.

    Args:
        images: float array `[K, d, d]` in [0, 1], one image per digit.
        trajectories: int array `[K, T, 2]`, top-left (row, column) of digit k at frame t; every
            digit must lie fully inside the canvas.
        image_size: int, canvas side `H = W`.

    Returns:
        float32 `[T, image_size, image_size, 1]` in [0, 1].
    """
    images = np.asarray(images, dtype=np.float32)
    trajectories = np.asarray(trajectories)
    num_digits, side = images.shape[0], images.shape[1]
    if trajectories.ndim != 3 or trajectories.shape[0] != num_digits or trajectories.shape[2] != 2:
        raise ValueError(f"trajectories must be [K={num_digits}, T, 2], got {trajectories.shape}")
    if trajectories.min() < 0 or trajectories.max() > image_size - side:
        raise ValueError(
            f"trajectories leave the canvas: positions must lie in "
            f"[0, {image_size - side}] for {side}px digits on {image_size}px"
        )
    frames = np.zeros((trajectories.shape[1], image_size, image_size), np.float32)
    for image, path in zip(images, trajectories):
        for t, (row, col) in enumerate(path):
            frames[t, row : row + side, col : col + side] += image
    # Sum then clip (not max): this is how SM-MNIST renders overlaps.
    return np.minimum(frames, 1.0, out=frames)[..., None]


def _lanczos(x, a=3):
    x = np.asarray(x, np.float64)
    return np.where(np.abs(x) < a, np.sinc(x) * np.sinc(x / a), 0.0)


def resize_matrix(in_size, out_size):
    """Returns float32 `[out_size, in_size]` Lanczos-3 resampling weights (PIL's LANCZOS scheme).

    `M @ image @ M.T` resizes a square image; for downsampling the kernel is widened
    (antialiasing), as in PIL. Pure numpy so the generator needs neither PIL nor TensorFlow.
    """
    scale = in_size / out_size
    filter_scale = max(scale, 1.0)
    support = 3.0 * filter_scale
    weights = np.zeros((out_size, in_size), np.float64)
    for i in range(out_size):
        center = (i + 0.5) * scale
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        taps = _lanczos((np.arange(lo, hi) - center + 0.5) / filter_scale)
        weights[i, lo:hi] = taps / taps.sum()
    return weights.astype(np.float32)


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


class StochasticMovingMNIST:
    """Pure-numpy Stochastic Moving MNIST sequence generator.

    Each sample draws `num_digits` digits uniformly (with replacement), resizes them to
    `digit_size` (Lanczos, as `PIL.Image.ANTIALIAS` in Denton's code), starts each at a
    top-left corner uniform in `[0, image_size - digit_size)` per axis with a velocity uniform in
    `[-max_speed, max_speed]` per axis, and moves it with `step_digit` using
    `limit = image_size - digit_size - 1` (as in Denton's code: positions 0..31 for 32px digits
    on 64px; when `digit_size == image_size` the digit is pinned at 0).

    Args:
        digits: uint8 `[N, h, w]` in 0..255 or float `[N, h, w]` in [0, 1] (`h == w`).
        image_size: int. Canvas side. Defaults to `IMAGE_SIZE` (64).
        digit_size: int. Side of the resized digits, <= image_size. `DIGIT_SIZE` (32).
        num_digits: int >= 1. Digits per sequence. `NUM_DIGITS` (2).
        sequence_length: int >= 1. Frames per sequence. `SEQUENCE_LENGTH` (15: 5 context +
            10 future).
        max_speed: int >= 1. Largest speed, in px/frame per axis. `MAX_SPEED` (4).
    """

    def __init__(
        self,
        digits,
        image_size=IMAGE_SIZE,
        digit_size=DIGIT_SIZE,
        num_digits=NUM_DIGITS,
        sequence_length=SEQUENCE_LENGTH,
        max_speed=MAX_SPEED,
    ):
        _check_int("image_size", image_size, 1)
        _check_int("digit_size", digit_size, 1)
        _check_int("num_digits", num_digits, 1)
        _check_int("sequence_length", sequence_length, 1)
        _check_int("max_speed", max_speed, 1)
        if digit_size > image_size:
            raise ValueError(f"digit_size ({digit_size}) must be <= image_size ({image_size})")
        digits = np.asarray(digits)
        if digits.ndim != 3 or digits.shape[1] != digits.shape[2] or len(digits) == 0:
            raise ValueError(f"digits must be a non-empty [N, h, h] array, got {digits.shape}")
        if digits.dtype == np.uint8:
            self._to_255 = 1.0
        elif np.issubdtype(digits.dtype, np.floating):
            self._to_255 = 255.0
        else:
            raise ValueError(f"digits must be uint8 or float, got {digits.dtype}")
        self.digits = digits  # Kept as given (no copy): 60k uint8 digits are 47 MB.
        self.image_size = int(image_size)
        self.digit_size = int(digit_size)
        self.num_digits = int(num_digits)
        self.sequence_length = int(sequence_length)
        self.max_speed = int(max_speed)
        self.limit = max(self.image_size - self.digit_size - 1, 0)
        self._resize = resize_matrix(digits.shape[1], self.digit_size)

    def digit_image(self, index):
        """Returns digit `index` resized: float32 `[digit_size, digit_size]` in [0, 1].

        Mirrors `PIL.Image.resize(LANCZOS)` on 8-bit images, which Denton's code used:
        horizontal pass, round and clip to 0..255, vertical pass, round and clip (the
        intermediate clip removes Lanczos ringing below 0). Matches PIL to within 1 grey level.
        """
        image = self.digits[index].astype(np.float32) * np.float32(self._to_255)
        rows = np.clip(np.rint(image @ self._resize.T), 0.0, 255.0)  # [h, h] -> [h, d]
        resized = np.clip(np.rint(self._resize @ rows), 0.0, 255.0)  # [h, d] -> [d, d]
        return resized * np.float32(1.0 / 255.0)

    def simulate(self, rng):
        """Draws the digits and their motion.

        Returns:
            `(indices, trajectories)`: int64 `[K]` digit indices and int64 `[K, T, 2]`
            top-left (row, column) positions, each in `[0, limit]`.
        """
        indices = rng.integers(0, len(self.digits), size=self.num_digits)
        trajectories = np.zeros((self.num_digits, self.sequence_length, 2), np.int64)
        for k in range(self.num_digits):
            position = rng.integers(0, self.limit + 1, size=2)
            velocity = rng.integers(-self.max_speed, self.max_speed + 1, size=2)
            trajectories[k, 0] = position
            for t in range(1, self.sequence_length):
                position, velocity = step_digit(position, velocity, rng, self.limit, self.max_speed)
                trajectories[k, t] = position
        return indices, trajectories

    def render(self, indices, trajectories):
        """Renders digits `indices` along `trajectories`: float32 `[T, H, W, 1]` in [0, 1]."""
        images = np.stack([self.digit_image(i) for i in indices])  # [K, d, d]
        return compose_frames(images, trajectories, self.image_size)

    def sample(self, rng):
        """Draws one sequence: float32 `[sequence_length, image_size, image_size, 1]`
        in [0, 1]."""
        return self.render(*self.simulate(rng))


def _sequence_rng(split, seed, index):
    # A SeedSequence of (seed, split, index): sequence `index` depends on nothing else, so any
    # prefix, any order and any number of parallel workers give the same data.
    return np.random.default_rng([seed, _SPLIT_KEYS[split], index])


def _make_generator(
    split, sequence_length, image_size, digit_size, num_digits, seed, digits_path, max_speed
):
    mnist_digits.check_split(split)
    _check_int("seed", seed, 0)
    return StochasticMovingMNIST(
        mnist_digits.load_digits(split, digits_path),
        image_size=image_size,
        digit_size=digit_size,
        num_digits=num_digits,
        sequence_length=sequence_length,
        max_speed=max_speed,
    )


def load(
    split,
    sequence_length,
    image_size=IMAGE_SIZE,
    digit_size=DIGIT_SIZE,
    num_digits=NUM_DIGITS,
    seed=0,
    num_sequences=None,
    digits_path=None,
    start=0,
    max_speed=MAX_SPEED,
):
    """Builds a tf.data pipeline of Stochastic Moving MNIST sequences.

    Args:
        split: str. `'train'`: sequences from the 60,000 training digits, an infinite stream
            unless `num_sequences` is given. `'test'`: `num_sequences` (default 256)
            sequences from the 10,000 test digits.
        sequence_length: int. Frames per sequence `T`.
        image_size, digit_size, num_digits, max_speed: see `StochasticMovingMNIST`.
        seed: int >= 0. Sequence `i` depends only on `(seed, split, i)`: reruns, prefixes
            and `numpy_batch` all give identical data.
        num_sequences: optional int >= 1. Number of sequences (finite dataset).
        digits_path: optional digits file, see `mnist_digits.load_digits`.
        start: int >= 0. First sequence index: `load(..., start=k)` equals
            `load(...).skip(k)` without generating the skipped sequences (resuming training).

    Returns:
        Unbatched `tf.data.Dataset` of float32 `[T, image_size, image_size, 1]` in [0, 1],
        with a fully static element shape, in deterministic order.
    """
    import tensorflow as tf  # Only here: the rest of the module must work without TensorFlow.

    generator = _make_generator(
        split, sequence_length, image_size, digit_size, num_digits, seed, digits_path, max_speed
    )
    _check_int("start", start, 0)
    if num_sequences is None and split == "test":
        num_sequences = DEFAULT_NUM_TEST_SEQUENCES
    if num_sequences is None:
        indices = tf.data.Dataset.counter(start)
    else:
        _check_int("num_sequences", num_sequences, 1)
        indices = tf.data.Dataset.range(start, num_sequences)
    shape = (generator.sequence_length, generator.image_size, generator.image_size, 1)

    def make_sequence(index):
        return generator.sample(_sequence_rng(split, seed, int(index)))

    def to_tensor(index):
        frames = tf.numpy_function(make_sequence, [index], tf.float32, stateful=False)
        return tf.ensure_shape(frames, shape)

    return indices.map(to_tensor, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def numpy_batch(
    split,
    batch_size,
    sequence_length,
    seed=0,
    start=0,
    image_size=IMAGE_SIZE,
    digit_size=DIGIT_SIZE,
    num_digits=NUM_DIGITS,
    num_sequences=None,
    digits_path=None,
    max_speed=MAX_SPEED,
):
    """Generates sequences `start .. start + batch_size - 1` of a split, without TensorFlow.

    Equal to the matching elements of `load(split, sequence_length, ..., seed=seed)`, so batch
    `k` of `load(...).batch(B)` is `numpy_batch(split, B, T, seed, start=k * B)`. For the
    test split, `start + batch_size` may not exceed `num_sequences` (default 256).

    Returns:
        float32 `[batch_size, sequence_length, image_size, image_size, 1]` in [0, 1].
    """
    _check_int("batch_size", batch_size, 1)
    _check_int("start", start, 0)
    generator = _make_generator(
        split, sequence_length, image_size, digit_size, num_digits, seed, digits_path, max_speed
    )
    if num_sequences is None and split == "test":
        num_sequences = DEFAULT_NUM_TEST_SEQUENCES
    if num_sequences is not None:
        _check_int("num_sequences", num_sequences, 1)
        if start + batch_size > num_sequences:
            raise ValueError(
                f"start + batch_size ({start + batch_size}) exceeds num_sequences "
                f"({num_sequences}) of split {split!r}"
            )
    return np.stack(
        [generator.sample(_sequence_rng(split, seed, i)) for i in range(start, start + batch_size)]
    )
