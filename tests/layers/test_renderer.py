import numpy as np
import pytest

from tests.layers import layer_testing
from vrnn_tf.layers import Renderer


def make_inputs(steps=3, seed=0):
    rng = np.random.default_rng(seed)
    frame = {r: rng.normal(size=(2, steps, r, r, 6)).astype("float32") for r in (1, 8)}
    latents = {
        1: rng.normal(size=(2, steps, 1, 1, 2)).astype("float32"),
        4: rng.normal(size=(2, steps, 4, 4, 3)).astype("float32"),
    }
    # 16 channels: two context frames stacked are 32 channels, 8 per GroupNorm group at 1x1.
    context = [rng.normal(size=(2, 2, r, r, 16)).astype("float32") for r in (1, 4, 8, 16)]
    return frame, latents, context


def call_from_context(renderer, frame, latents, context):
    """The renderer's call from the initial states its own nets make of the context."""
    return renderer(frame, latents, renderer.initial_states(context))


@pytest.mark.parametrize(
    "recurrent, skip_resolutions",
    [(None, ()), ((True, False, False, True), ()), ((True, False, True, True), (8,))],
)
def test_output_shape_config_and_precision(recurrent, skip_resolutions):
    renderer = Renderer(
        (1, 4, 8, 16),
        (16, 8, 8, 8),
        recurrent=recurrent,
        image_channels=3,
        lstm_norm_groups=2,
        skip_resolutions=skip_resolutions,
    )
    # (h, c) of a ConvLSTM block, or () for a plain conv block.
    states = [
        ((2, size, size, hidden), (2, size, size, hidden)) if is_recurrent else ()
        for size, hidden, is_recurrent in zip(
            (1, 4, 8, 16), (16, 8, 8, 8), recurrent or (True,) * 4
        )
    ]
    layer_testing.check_layer(
        renderer, make_inputs(), ((2, 3, 16, 16, 3), states), call=call_from_context
    )


def test_latents_enter_at_their_resolution():
    renderer = Renderer((1, 4, 8, 16), (16, 8, 8, 8), image_channels=1, lstm_norm_groups=2)
    frame, latents, context = make_inputs()
    states = renderer.initial_states(context)
    base, _ = renderer(frame, latents, states)
    changed = dict(latents)
    changed[4] = latents[4] + 1.0
    other, _ = renderer(frame, changed, states)
    assert not np.allclose(np.asarray(base), np.asarray(other))


def test_unreachable_resolution_is_a_clear_error():
    with pytest.raises(ValueError, match="double"):
        Renderer((1, 4, 16), (8, 8, 8), lstm_norm_groups=4)


def test_skip_connection_reads_the_previous_frame_at_its_resolution():
    renderer = Renderer(
        (1, 4, 8, 16), (16, 8, 8, 8), image_channels=1, lstm_norm_groups=2, skip_resolutions=(8,)
    )
    frame, latents, context = make_inputs()
    states = renderer.initial_states(context)
    base, _ = renderer(frame, latents, states)
    changed = dict(frame)
    changed[8] = frame[8] + 1.0
    other, _ = renderer(changed, latents, states)
    assert not np.allclose(np.asarray(base), np.asarray(other))
    plain = Renderer((1, 4, 8, 16), (16, 8, 8, 8), image_channels=1, lstm_norm_groups=2)
    plain_states = plain.initial_states(context)
    base, _ = plain(frame, latents, plain_states)
    other, _ = plain(changed, latents, plain_states)
    np.testing.assert_array_equal(np.asarray(base), np.asarray(other))


def test_skip_at_an_unknown_resolution_is_a_clear_error():
    with pytest.raises(ValueError, match="skip_resolutions"):
        Renderer((1, 4, 8), (8, 8, 8), lstm_norm_groups=4, skip_resolutions=(16,))
