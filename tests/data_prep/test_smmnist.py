"""Tests for data_prep/smmnist.py: bounce rule, rendering, pipelines, errors."""

import numpy as np
import pytest

from data_prep import mnist_digits
from data_prep import smmnist

LIMIT = 31  # 64px canvas, 32px digits: top-left coordinates 0..31.
MAX_SPEED = 4


def _steps(position, velocity, seeds=range(200)):
    """Runs one step from the same state with many rngs -> (positions [S, 2], velocities [S, 2])."""
    results = [
        smmnist.step_digit(position, velocity, np.random.default_rng(s), LIMIT, MAX_SPEED)
        for s in seeds
    ]
    return np.array([p for p, _ in results]), np.array([v for _, v in results])


@pytest.mark.parametrize(
    "position, velocity, axis, away_sign, clamped",
    [
        ((10, 2), (1, -4), 1, +1, 0),  # left wall
        ((10, 29), (-2, 3), 1, -1, LIMIT),  # right wall
        ((1, 10), (-4, 2), 0, +1, 0),  # top wall
        ((30, 10), (4, 0), 0, -1, LIMIT),  # bottom wall
    ],
)
def test_wall_hit_points_velocity_away_and_redraws_the_other(
    position, velocity, axis, away_sign, clamped
):
    positions, velocities = _steps(position, velocity)
    other = 1 - axis
    # Clamped onto the wall; the other axis moved normally.
    np.testing.assert_array_equal(positions[:, axis], clamped)
    np.testing.assert_array_equal(positions[:, other], position[other] + velocity[other])
    # Away from the wall, magnitude 1..4, and all four magnitudes occur.
    assert set(velocities[:, axis] * away_sign) == {1, 2, 3, 4}
    # The other component is redrawn over the whole range [-4, 4].
    assert set(velocities[:, other]) == set(range(-4, 5))


def test_corner_hit_points_both_components_away():
    positions, velocities = _steps((30, 1), (3, -3))
    np.testing.assert_array_equal(positions, np.tile([LIMIT, 0], (len(positions), 1)))
    assert set(velocities[:, 0]) == {-1, -2, -3, -4}
    assert set(velocities[:, 1]) == {1, 2, 3, 4}


@pytest.mark.parametrize(
    "position, velocity", [((10, 20), (3, -2)), ((4, 27), (-4, 4)), ((0, 31), (0, 0))]
)
def test_no_hit_keeps_velocity_and_draws_nothing(position, velocity):
    # (4, 27) + (-4, 4) lands exactly on both walls: touching is not a hit.
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    new_position, new_velocity = smmnist.step_digit(
        np.array(position), np.array(velocity), rng, LIMIT, MAX_SPEED
    )
    np.testing.assert_array_equal(new_position, np.add(position, velocity))
    np.testing.assert_array_equal(new_velocity, velocity)
    assert rng.bit_generator.state == state


def test_step_does_not_modify_inputs():
    position, velocity = np.array([1, 1]), np.array([-4, -4])
    smmnist.step_digit(position, velocity, np.random.default_rng(0), LIMIT, MAX_SPEED)
    np.testing.assert_array_equal(position, [1, 1])
    np.testing.assert_array_equal(velocity, [-4, -4])


def test_random_walk_stays_in_bounds_with_integer_velocities():
    rng = np.random.default_rng(123)
    position, velocity = np.array([15, 15]), np.array([4, -3])
    positions, velocities = [], []
    for _ in range(5000):
        position, velocity = smmnist.step_digit(position, velocity, rng, LIMIT, MAX_SPEED)
        positions.append(position)
        velocities.append(velocity)
    positions, velocities = np.array(positions), np.array(velocities)
    assert np.issubdtype(positions.dtype, np.integer)
    assert np.issubdtype(velocities.dtype, np.integer)
    assert positions.min() == 0 and positions.max() == LIMIT  # Both walls reached...
    assert velocities.min() >= -MAX_SPEED and velocities.max() <= MAX_SPEED  # ...never left.


def test_simulated_trajectories_start_in_range_and_stay_on_canvas():
    generator = smmnist.StochasticMovingMNIST(np.zeros((3, 28, 28), np.uint8), sequence_length=30)
    assert generator.limit == LIMIT
    rng = np.random.default_rng(7)
    starts, trajectories = [], []
    for _ in range(200):
        indices, trajectory = generator.simulate(rng)
        assert indices.shape == (2,) and trajectory.shape == (2, 30, 2)
        starts.append(trajectory[:, 0])
        trajectories.append(trajectory)
    starts, trajectories = np.array(starts), np.array(trajectories)
    # Start uniform in [0, image_size - digit_size) = [0, 32).
    assert starts.min() == 0 and starts.max() == 31
    assert trajectories.min() >= 0 and trajectories.max() <= LIMIT
    steps = np.diff(trajectories, axis=2)
    assert np.abs(steps).max() <= MAX_SPEED


def test_overlapping_digits_sum_and_clip_to_one():
    images = np.full((2, 32, 32), 0.7, np.float32)
    trajectories = np.array([[[0, 0]], [[16, 8]]])  # [K=2, T=1, 2]
    frame = smmnist.compose_frames(images, trajectories, 64)[0, ..., 0]
    assert frame.max() <= 1.0
    np.testing.assert_allclose(frame[16:32, 8:32], 1.0)  # Overlap: clip(0.7 + 0.7).
    np.testing.assert_allclose(frame[0:16, 0:32], 0.7)  # First digit only.
    np.testing.assert_allclose(frame[32:48, 8:40], 0.7)  # Second digit only.
    assert frame[48:, :].max() == 0 and frame[:, 40:].max() == 0  # Background.


def test_real_digits_render_as_clipped_sum():
    digits = mnist_digits.load_digits("test")
    generator = smmnist.StochasticMovingMNIST(digits, sequence_length=2)
    a, b = generator.digit_image(0), generator.digit_image(1)
    trajectories = np.array([[[10, 12], [0, 0]], [[14, 20], [31, 31]]])
    frames = generator.render([0, 1], trajectories)
    assert frames.shape == (2, 64, 64, 1) and frames.dtype == np.float32
    expected = np.zeros((64, 64), np.float32)
    expected[10:42, 12:44] += a
    expected[14:46, 20:52] += b
    assert expected.max() > 1.0  # The two digits really overlap with bright pixels.
    np.testing.assert_allclose(frames[0, ..., 0], np.minimum(expected, 1.0), atol=1e-6)
    assert frames.max() <= 1.0


def test_compose_rejects_positions_off_canvas():
    with pytest.raises(ValueError, match="leave the canvas"):
        smmnist.compose_frames(np.ones((1, 32, 32)), np.array([[[0, 33]]]), 64)


def test_digit_resize_matches_pil_lanczos():
    Image = pytest.importorskip("PIL.Image")
    digits = mnist_digits.load_digits("test")[:20]
    for size in (32, 20):
        generator = smmnist.StochasticMovingMNIST(digits, digit_size=size)
        for i in range(len(digits)):
            pil = Image.fromarray(digits[i]).resize((size, size), Image.LANCZOS)
            np.testing.assert_allclose(
                generator.digit_image(i), np.asarray(pil) / 255.0, atol=1.01 / 255
            )
    identity = smmnist.StochasticMovingMNIST(digits, digit_size=28)
    np.testing.assert_allclose(identity.digit_image(3), digits[3] / 255.0, atol=1e-6)


def _as_array(dataset):
    return np.stack([x.numpy() for x in dataset])


def test_load_train_shapes_and_range():
    tf = pytest.importorskip("tensorflow")
    dataset = smmnist.load("train", sequence_length=6, seed=3)
    assert dataset.element_spec == tf.TensorSpec((6, 64, 64, 1), tf.float32)
    assert dataset.cardinality().numpy() == tf.data.INFINITE_CARDINALITY
    first = _as_array(dataset.take(4))
    assert first.shape == (4, 6, 64, 64, 1) and first.dtype == np.float32
    assert first.min() >= 0.0 and first.max() <= 1.0 and first.max() > 0.5
    assert not np.array_equal(first[0], first[1])
    np.testing.assert_array_equal(_as_array(smmnist.load("train", 6, seed=3).take(4)), first)
    # numpy_batch walks the same stream without TensorFlow.
    np.testing.assert_array_equal(smmnist.numpy_batch("train", 2, 6, seed=3, start=2), first[2:])


def test_load_test_is_finite_deterministic_and_prefix_stable():
    tf = pytest.importorskip("tensorflow")
    small = dict(image_size=32, digit_size=16, sequence_length=4)
    dataset = smmnist.load("test", num_sequences=8, seed=5, **small)
    assert dataset.element_spec == tf.TensorSpec((4, 32, 32, 1), tf.float32)
    assert dataset.cardinality().numpy() == 8
    eight = _as_array(dataset)
    assert eight.shape == (8, 4, 32, 32, 1)
    assert eight.min() >= 0.0 and eight.max() <= 1.0
    np.testing.assert_array_equal(
        _as_array(smmnist.load("test", num_sequences=8, seed=5, **small)), eight
    )
    four = _as_array(smmnist.load("test", num_sequences=4, seed=5, **small))
    np.testing.assert_array_equal(four, eight[:4])
    other_seed = _as_array(smmnist.load("test", num_sequences=4, seed=6, **small))
    assert not np.array_equal(other_seed, four)
    np.testing.assert_array_equal(
        smmnist.numpy_batch("test", 8, seed=5, num_sequences=8, **small), eight
    )
    # Train and test streams differ for the same seed and index.
    assert not np.array_equal(smmnist.numpy_batch("train", 4, seed=5, **small), four)


def test_max_speed_bounds_the_motion_of_load_and_numpy_batch():
    """One digit moves rigidly, so its centre of mass moves by its velocity: at most
    max_speed px per axis and frame (the demo's 32x32 frames use 2, the 64x64 data's 4 at
    half scale)."""
    pytest.importorskip("tensorflow")
    small = dict(image_size=32, digit_size=16, num_digits=1, sequence_length=8)

    def largest_step(videos):
        frames = videos[..., 0].astype(np.float64)
        grid = np.arange(32, dtype=np.float64)
        mass = frames.sum(axis=(2, 3))
        rows = (frames.sum(axis=3) * grid).sum(axis=2) / mass
        cols = (frames.sum(axis=2) * grid).sum(axis=2) / mass
        return max(np.abs(np.diff(rows, axis=1)).max(), np.abs(np.diff(cols, axis=1)).max())

    slow = _as_array(smmnist.load("test", num_sequences=16, seed=5, max_speed=1, **small))
    np.testing.assert_array_equal(
        smmnist.numpy_batch("test", 16, seed=5, num_sequences=16, max_speed=1, **small), slow
    )
    assert 0.5 < largest_step(slow) <= 1 + 1e-9
    fast = smmnist.numpy_batch("test", 16, seed=5, num_sequences=16, **small)
    assert largest_step(fast) > 2


def test_load_test_defaults_to_256_sequences():
    pytest.importorskip("tensorflow")
    assert smmnist.load("test", sequence_length=2).cardinality().numpy() == 256


def test_unknown_split_names_valid_splits():
    with pytest.raises(ValueError, match="'train', 'test'"):
        mnist_digits.load_digits("valid")
    with pytest.raises(ValueError, match="valid splits"):
        smmnist.numpy_batch("val", 1, 2)
    pytest.importorskip("tensorflow")
    with pytest.raises(ValueError, match="valid splits"):
        smmnist.load("eval", 2)


@pytest.mark.parametrize(
    "kwargs, setting",
    [
        (dict(digit_size=65), "digit_size"),
        (dict(num_digits=0), "num_digits"),
        (dict(sequence_length=0), "sequence_length"),
        (dict(max_speed=0), "max_speed"),
        (dict(image_size=2.5), "image_size"),
    ],
)
def test_invalid_generator_settings(kwargs, setting):
    with pytest.raises(ValueError, match=setting):
        smmnist.StochasticMovingMNIST(np.zeros((1, 28, 28), np.uint8), **kwargs)


def test_invalid_pipeline_settings():
    with pytest.raises(ValueError, match="digit_size"):
        smmnist.numpy_batch("test", 1, 2, digit_size=80)
    with pytest.raises(ValueError, match="num_sequences"):
        smmnist.numpy_batch("test", 4, 2, start=254)
    with pytest.raises(ValueError, match="seed"):
        smmnist.numpy_batch("test", 1, 2, seed=-1)
    pytest.importorskip("tensorflow")
    with pytest.raises(ValueError, match="digit_size"):
        smmnist.load("train", 2, image_size=16, digit_size=32)
