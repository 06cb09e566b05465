"""The parameter counts of the SVG-LP release (github.com/edenton/svg), derived from its code.

Each function lists the PyTorch modules of one release file in order, as the file builds them,
and counts their parameters with PyTorch's own formulas: an independent reference for the
Keras layers, which are built another way (stages, mirrored). No PyTorch is needed.

- `nn.Conv2d(i, o, k)` and `nn.ConvTranspose2d(i, o, k)`: `i * o * k * k + o`.
- `nn.BatchNorm2d(c)`: weight and bias, `2 c` (running statistics are buffers).
- `nn.Linear(i, o)`: `i * o + o`.
- `nn.LSTMCell(i, h)`: `weight_ih 4h x i`, `weight_hh 4h x h`, `bias_ih`, `bias_hh`:
  `4 h (i + h) + 8 h`.
"""

import numpy as np


def trainable_count(layer):
    """Trainable parameters of a Keras layer: what PyTorch's `parameters()` count."""
    return sum(int(np.prod(w.shape)) for w in layer.trainable_weights)


def conv(i, o, k):
    return i * o * k * k + o


def batch_norm(c):
    return 2 * c


def linear(i, o):
    return i * o + o


def lstm_cell(i, h):
    return 4 * h * (i + h) + 8 * h


def dcgan_conv(i, o):  # models/dcgan_64.py: Conv2d(i, o, 4, 2, 1), BatchNorm2d, LeakyReLU
    return conv(i, o, 4) + batch_norm(o)


def vgg_layer(i, o):  # models/vgg_64.py: Conv2d(i, o, 3, 1, 1), BatchNorm2d, LeakyReLU
    return conv(i, o, 3) + batch_norm(o)


def dcgan_64(dim, nc):
    """models/dcgan_64.py -> (encoder, decoder)."""
    nf = 64
    encoder = (
        dcgan_conv(nc, nf)
        + dcgan_conv(nf, nf * 2)
        + dcgan_conv(nf * 2, nf * 4)
        + dcgan_conv(nf * 4, nf * 8)
        + conv(nf * 8, dim, 4)
        + batch_norm(dim)
    )
    decoder = (
        conv(dim, nf * 8, 4)  # upc1: ConvTranspose2d(dim, nf * 8, 4, 1, 0), BatchNorm2d
        + batch_norm(nf * 8)
        + dcgan_conv(nf * 8 * 2, nf * 4)  # dcgan_upconv: ConvTranspose2d + BatchNorm2d
        + dcgan_conv(nf * 4 * 2, nf * 2)
        + dcgan_conv(nf * 2 * 2, nf)
        + conv(nf * 2, nc, 4)  # upc5: ConvTranspose2d(nf * 2, nc, 4, 2, 1), Sigmoid
    )
    return encoder, decoder


def vgg_64(dim, nc):
    """models/vgg_64.py -> (encoder, decoder)."""
    encoder = (
        vgg_layer(nc, 64)
        + vgg_layer(64, 64)
        + vgg_layer(64, 128)
        + vgg_layer(128, 128)
        + vgg_layer(128, 256)
        + vgg_layer(256, 256)
        + vgg_layer(256, 256)
        + vgg_layer(256, 512)
        + vgg_layer(512, 512)
        + vgg_layer(512, 512)
        + conv(512, dim, 4)
        + batch_norm(dim)
    )
    decoder = (
        conv(dim, 512, 4)
        + batch_norm(512)
        + vgg_layer(512 * 2, 512)
        + vgg_layer(512, 512)
        + vgg_layer(512, 256)
        + vgg_layer(256 * 2, 256)
        + vgg_layer(256, 256)
        + vgg_layer(256, 128)
        + vgg_layer(128 * 2, 128)
        + vgg_layer(128, 64)
        + vgg_layer(64 * 2, 64)
        + conv(64, nc, 3)  # ConvTranspose2d(64, nc, 3, 1, 1), Sigmoid
    )
    return encoder, decoder


def vgg_128(dim, nc):
    """models/vgg_128.py -> (encoder, decoder)."""
    encoder = (
        vgg_layer(nc, 64)
        + vgg_layer(64, 64)
        + vgg_layer(64, 128)
        + vgg_layer(128, 128)
        + vgg_layer(128, 256)
        + vgg_layer(256, 256)
        + vgg_layer(256, 256)
        + vgg_layer(256, 512)
        + vgg_layer(512, 512)
        + vgg_layer(512, 512)
        + vgg_layer(512, 512)
        + vgg_layer(512, 512)
        + vgg_layer(512, 512)
        + conv(512, dim, 4)
        + batch_norm(dim)
    )
    decoder = (
        conv(dim, 512, 4)
        + batch_norm(512)
        + vgg_layer(512 * 2, 512)
        + vgg_layer(512, 512)
        + vgg_layer(512, 512)
        + vgg_layer(512 * 2, 512)
        + vgg_layer(512, 512)
        + vgg_layer(512, 256)
        + vgg_layer(256 * 2, 256)
        + vgg_layer(256, 256)
        + vgg_layer(256, 128)
        + vgg_layer(128 * 2, 128)
        + vgg_layer(128, 64)
        + vgg_layer(64 * 2, 64)
        + conv(64, nc, 3)
    )
    return encoder, decoder


def lstm(input_size, output_size, hidden_size, n_layers):
    """models/lstm.py `lstm`: embed Linear, n LSTMCells, output Linear (+ Tanh)."""
    return (
        linear(input_size, hidden_size)
        + n_layers * lstm_cell(hidden_size, hidden_size)
        + linear(hidden_size, output_size)
    )


def gaussian_lstm(input_size, output_size, hidden_size, n_layers):
    """models/lstm.py `gaussian_lstm`: embed Linear, n LSTMCells, mu and logvar Linears."""
    return (
        linear(input_size, hidden_size)
        + n_layers * lstm_cell(hidden_size, hidden_size)
        + 2 * linear(hidden_size, output_size)
    )


def counts(codec, channels, g_dim, z_dim, rnn_size=256):
    """train_svg_lp.py's five networks (its default layer counts: 2, 1, 1) -> dict of counts."""
    encoder, decoder = codec(g_dim, channels)
    return dict(
        encoder=encoder,
        decoder=decoder,
        frame_predictor=lstm(g_dim + z_dim, g_dim, rnn_size, 2),
        posterior=gaussian_lstm(g_dim, z_dim, rnn_size, 1),
        prior=gaussian_lstm(g_dim, z_dim, rnn_size, 1),
    )


# The release's three published settings (README.md commands; the paper's Cityscapes model is
# vgg_128 with the BAIR settings): (gin file, release codec, channels, g_dim, z_dim).
PUBLISHED = {
    "smmnist": ("gin/svglp_smmnist.gin", dcgan_64, 1, 128, 10),
    "bair": ("gin/svglp_bair.gin", vgg_64, 3, 128, 64),
    "cityscapes": ("gin/svglp_cityscapes.gin", vgg_128, 3, 128, 64),
}
