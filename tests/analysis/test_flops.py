"""Analytic FLOP counts against brute-force tap counting and hand counts."""

import itertools

from vrnn_tf import configurables  # registers the configurables that tiny_config binds
from vrnn_tf.analysis import flops


def brute_force_same_conv_macs(size, kernel, c_in, c_out):
    """Multiply-adds of a stride-1 'same' conv, counting every in-bounds tap."""
    pad = (kernel - 1) // 2
    taps = 0
    for oy, ox, ky, kx in itertools.product(range(size), range(size), range(kernel), range(kernel)):
        if 0 <= oy - pad + ky < size and 0 <= ox - pad + kx < size:
            taps += 1
    return taps * c_in * c_out


def brute_force_transposed_macs(in_size, kernel, stride, out_size, crop, c_in, c_out):
    """Each input pixel scatters its kernel; count the taps that land in the output."""
    taps = 0
    for iy, ix, ky, kx in itertools.product(
        range(in_size), range(in_size), range(kernel), range(kernel)
    ):
        oy, ox = iy * stride + ky - crop, ix * stride + kx - crop
        if 0 <= oy < out_size and 0 <= ox < out_size:
            taps += 1
    return taps * c_in * c_out


def test_convolutions_count_in_bounds_taps():
    for size, kernel in [(1, 3), (4, 3), (8, 3), (5, 1), (16, 3)]:
        assert flops.conv_flops(size, kernel, 3, 7) == 2 * brute_force_same_conv_macs(
            size, kernel, 3, 7
        )
    # 4x4 stride-2 'same' transposed conv: full output 2n + 2, cropped by 1 each side.
    for n in (4, 8, 16):
        assert flops.upsample_flops(n, 2 * n, 5, 2) == 2 * brute_force_transposed_macs(
            n, 4, 2, 2 * n, 1, 5, 2
        )
    assert flops.upsample_flops(1, 4, 5, 2) == 2 * 16 * 5 * 2


def test_conv_lstm_step_by_hand():
    # 8x8 map, 3x3 kernel: 64 outputs x 9 taps minus borders: (8*3 - 2)^2 = 484 taps.
    assert flops.conv_lstm_step_flops(8, 6, 4) == 2 * 484 * (6 * 16 + 4 * 16)


def test_training_step_is_three_forward_passes_and_scales_with_batch(tiny_config):
    model = configurables.build_model()
    forward = flops.training_forward_flops(model, 5)
    assert flops.training_step_flops(model, 4, 5) == 3 * 4 * forward
    # One more future frame adds one encoder pass and one step of every
    # ConvLSTM net (2 per level and the renderer) but no initial-state work.
    per_frame = flops.training_forward_flops(model, 6) - forward
    assert per_frame == flops.training_forward_flops(model, 7) - flops.training_forward_flops(
        model, 6
    )
    assert per_frame > flops.generation_flops_per_frame(model)  # posteriors add work


def brute_force_strided_macs(in_size, kernel, stride, pad, c_in, c_out):
    """A strided convolution with zero padding: count the taps that land on the input."""
    out_size = (in_size + 2 * pad - kernel) // stride + 1
    taps = 0
    for oy, ox, ky, kx in itertools.product(
        range(out_size), range(out_size), range(kernel), range(kernel)
    ):
        iy, ix = oy * stride + ky - pad, ox * stride + kx - pad
        if 0 <= iy < in_size and 0 <= ix < in_size:
            taps += 1
    return taps * c_in * c_out


def test_svg_lp_counts_its_strided_convolutions_and_lstms():
    for n in (8, 16, 64):
        assert flops.strided_conv_flops(n, 3, 5) == 2 * brute_force_strided_macs(n, 4, 2, 1, 3, 5)
    # The release's cell: 2 x (in + H) x 4H multiply-adds; embedding and head around it.
    assert flops.lstm_step_flops(10, 8, 2, 6) == 2 * (10 * 8 + 2 * (16 * 32) + 8 * 6)
