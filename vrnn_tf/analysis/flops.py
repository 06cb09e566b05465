"""Analytic FLOP counts of the model's convolutions, for MFU.

Counted from the architecture alone (layer sizes, resolutions, frames), as
2 x multiply-adds of every convolution and transposed convolution, only over
kernel taps that land on the input (zero padding is not counted, as XLA's
cost analysis does not count it). GroupNorm, gates and other elementwise
work are left out (a few percent at the paper's sizes). A training step costs
3x the forward pass (the backward pass computes gradients for inputs and for
weights, each as much as the forward); `bench/train_step.py` cross-checks this
against XLA's cost analysis of the compiled step. SVG-LP's counts add its LSTMs' matrix
products (2 x in x out each), as its convolutions leave them far from negligible.
"""

from vrnn_tf.svg_lp import SVGLP


def _same_taps(size, kernel):
    """Kernel taps inside the input, summed over outputs: stride 1, 'same' padding, 1 axis."""
    pad = (kernel - 1) // 2
    return sum(sum(1 for j in range(kernel) if 0 <= out - pad + j < size) for out in range(size))


def conv_flops(size, kernel, in_channels, out_channels):
    """Stride-1 'same' convolution on a `size x size` map, per example."""
    return 2 * _same_taps(size, kernel) ** 2 * in_channels * out_channels


def upsample_flops(in_size, out_size, in_channels, out_channels):
    """The renderer's transposed convolutions, per example.

    1 -> K: a KxK kernel, 'valid' (every tap lands). n -> 2n: 4x4 kernel,
    stride 2, 'same': per axis 4n taps, of which the 2 at the borders fall
    outside the output.
    """
    if in_size == 1:
        taps = out_size
    else:
        taps = 4 * in_size - 2
    return 2 * taps**2 * in_channels * out_channels


def encoder_flops(encoder, image_size, image_channels):
    """One frame through the `FrameEncoder`."""
    sizes = encoder.output_resolutions(image_size)
    channels = encoder.output_channels()
    total = conv_flops(image_size, 1, image_channels, channels[0])  # stem
    in_channels = channels[0]
    for size, stage in zip(sizes, encoder.stages):
        for block in stage:
            hidden = min(in_channels, block.channels)
            total += conv_flops(size, 3, in_channels, hidden)
            total += conv_flops(size, 3, hidden, block.channels)
            if in_channels != block.channels:
                total += conv_flops(size, 1, in_channels, block.channels)
            in_channels = block.channels
    return total


def conv_lstm_step_flops(size, in_channels, hidden, kernel=3):
    """One ConvLSTM step: input and hidden convolutions to 4 gates."""
    return conv_flops(size, kernel, in_channels, 4 * hidden) + conv_flops(
        size, kernel, hidden, 4 * hidden
    )


def initial_state_flops(size, num_context, channels, hidden):
    """One `InitialState` net: two 1x1 convolutions on the stacked context."""
    stacked = num_context * channels
    return conv_flops(size, 1, stacked, stacked) + conv_flops(size, 1, stacked, 2 * hidden)


def latent_level_step_flops(size, in_channels, hidden, latent):
    """One step of a prior or posterior network (`LatentLevel`)."""
    return (
        conv_flops(size, 1, in_channels, hidden)
        + conv_lstm_step_flops(size, hidden, hidden)
        + conv_flops(size, 1, hidden, 2 * latent)
    )


def _level_inputs(model):
    """Input channels of each latent level (encoder map + the coarser samples it reads)."""
    hierarchy = model.hierarchy
    by_size = dict(
        zip(model.encoder.output_resolutions(model.image_size), model.encoder.output_channels())
    )
    inputs = []
    for level, size in enumerate(hierarchy.resolutions):
        coarser = sum(hierarchy.latent_channels[k] for k in hierarchy.coarser_levels(level))
        inputs.append(by_size[size] + coarser)
    return inputs, by_size


def latent_levels_step_flops(model):
    """One step of one `LatentLevel` per latent level: every prior, or every posterior (the
    same count: the two networks of a level have the same sizes)."""
    hierarchy = model.hierarchy
    level_inputs, _ = _level_inputs(model)
    return sum(
        latent_level_step_flops(size, c_in, hidden, latent)
        for size, c_in, hidden, latent in zip(
            hierarchy.resolutions,
            level_inputs,
            hierarchy.hidden_channels,
            hierarchy.latent_channels,
        )
    )


def renderer_step_flops(model):
    """One step of the `Renderer`, including its output convolutions."""
    renderer = model.renderer
    _, by_size = _level_inputs(model)
    latents = dict(zip(model.hierarchy.resolutions, model.hierarchy.latent_channels))
    in_channels = by_size[renderer.resolutions[0]]
    total = 0
    for i, (size, hidden) in enumerate(zip(renderer.resolutions, renderer.hidden_channels)):
        in_channels += latents.get(size, 0)
        if renderer.recurrent[i]:
            total += conv_lstm_step_flops(size, in_channels, hidden)
        else:
            total += conv_flops(size, 3, in_channels, hidden)
        if i + 1 < len(renderer.resolutions):
            next_size, next_channels = renderer.resolutions[i + 1], renderer.hidden_channels[i + 1]
            total += upsample_flops(size, next_size, hidden, next_channels)
            in_channels = next_channels
        else:
            total += conv_flops(size, 3, hidden, hidden)  # output_conv
            total += conv_flops(size, 3, hidden, model.image_channels)  # to_image
    return total


def initial_states_flops(model, posterior=True):
    """Every initial-state net of the latent levels (priors, posteriors) and the renderer."""
    hierarchy, renderer = model.hierarchy, model.renderer
    _, by_size = _level_inputs(model)
    context = model.context_frames
    per_level = [
        initial_state_flops(size, context, by_size[size], hidden)
        for size, hidden in zip(hierarchy.resolutions, hierarchy.hidden_channels)
    ]
    total = sum(per_level) * (2 if posterior else 1)
    for size, hidden, recurrent in zip(
        renderer.resolutions, renderer.hidden_channels, renderer.recurrent
    ):
        if recurrent:
            total += initial_state_flops(size, context, by_size[size], hidden)
    return total


def strided_conv_flops(in_size, in_channels, out_channels):
    """SVG's DCGAN stage: a 4x4 convolution of stride 2, padding 1, `n -> n / 2`; per axis
    the `n / 2` outputs read 4 taps each, less the 2 that fall on the padding."""
    return 2 * (2 * in_size - 2) ** 2 * in_channels * out_channels


def svg_codec_flops(model):
    """One frame through SVG-LP's encoder and one through its decoder: `(encoder, decoder)`."""
    size, style = model.image_size, model.codec
    channels, layers = model.stage_channels, model.stage_layers
    encoder = decoder = 0
    in_channels = model.image_channels
    for k, (width, depth) in enumerate(zip(channels, layers)):
        out = model.image_channels if k == 0 else channels[k - 1]  # the decoder's stage k
        if style == "dcgan":  # stage k maps size / 2^k to size / 2^(k+1)
            encoder += strided_conv_flops(size >> k, in_channels, width)
            decoder += upsample_flops(size >> (k + 1), size >> k, 2 * width, out)
        else:  # depth 3x3 convolutions at size / 2^k; the decoder mirrors them
            widths = [in_channels] + [width] * depth
            encoder += sum(conv_flops(size >> k, 3, a, b) for a, b in zip(widths, widths[1:]))
            mirrored = [2 * width] + [width] * (depth - 1) + [out]
            decoder += sum(conv_flops(size >> k, 3, a, b) for a, b in zip(mirrored, mirrored[1:]))
        in_channels = width
    # The 4x4 -> 1x1 convolution and its transposed mirror: every tap lands.
    encoder += 2 * 16 * channels[-1] * model.g_dim
    decoder += 2 * 16 * model.g_dim * channels[-1]
    return encoder, decoder


def lstm_step_flops(in_size, hidden, layers, out_size):
    """One step of an SVG LSTM stack: embedding, cells, head (`out_size` outputs in all)."""
    return 2 * (in_size * hidden + layers * 2 * hidden * 4 * hidden + hidden * out_size)


def svg_step_flops(model, posterior=True):
    """One SVG-LP step without the encoder: prior, predictor, decoder (and the posterior)."""
    g, z, h = model.g_dim, model.z_dim, model.rnn_size
    total = lstm_step_flops(g, h, model.prior_layers, 2 * z)
    total += lstm_step_flops(g + z, h, model.predictor_layers, g) + svg_codec_flops(model)[1]
    if posterior:
        total += lstm_step_flops(g, h, model.posterior_layers, 2 * z)
    return total


def training_forward_flops(model, num_frames):
    """The training pass of one video of `num_frames` frames (context included)."""
    if isinstance(model, SVGLP):  # every frame encoded, every step from frame 1 on
        encoder = svg_codec_flops(model)[0]
        return num_frames * encoder + (num_frames - 1) * svg_step_flops(model)
    future = num_frames - model.context_frames
    # Each level runs its prior and its posterior.
    per_step = renderer_step_flops(model) + 2 * latent_levels_step_flops(model)
    return (
        num_frames * encoder_flops(model.encoder, model.image_size, model.image_channels)
        + initial_states_flops(model)
        + future * per_step
    )


def training_step_flops(model, batch_size, num_frames):
    """Model FLOPs of one training step (forward + backward = 3x forward) on a batch."""
    return 3 * batch_size * training_forward_flops(model, num_frames)


def generation_flops_per_frame(model):
    """One generated frame of one future: priors, renderer, encoding the new frame."""
    if isinstance(model, SVGLP):
        return svg_step_flops(model, posterior=False) + svg_codec_flops(model)[0]
    return (
        latent_levels_step_flops(model)
        + renderer_step_flops(model)
        + encoder_flops(model.encoder, model.image_size, model.image_channels)
    )
