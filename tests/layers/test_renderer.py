import numpy as np
import pytest

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


@pytest.mark.parametrize("recurrent", [None, (True, False, False, True)])
def test_output_shape(recurrent):
    renderer = Renderer(
        (1, 4, 8, 16), (16, 8, 8, 8), recurrent=recurrent, image_channels=3, lstm_norm_groups=2
    )
    frame, latents, context = make_inputs()
    logits, states = renderer(frame, latents, renderer.initial_states(context))
    assert logits.shape == (2, 3, 16, 16, 3)
    expected = [len(s) == 2 for s in states]  # (h, c), or () for a plain conv block
    assert expected == list(recurrent or (True,) * 4)


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


def test_config_round_trip():
    renderer = Renderer(
        (1, 4, 8),
        (8, 8, 8),
        recurrent=(True, False, True),
        image_channels=1,
        lstm_norm_groups=4,
        skip_resolutions=(8,),
    )
    assert Renderer.from_config(renderer.get_config()).get_config() == renderer.get_config()


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
