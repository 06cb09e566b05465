"""Video prediction metrics of the paper's protocol (§5.2.1).

    ssim(x, y), psnr(x, y)        per-frame, `[..., H, W, C]` -> `[...]`
    lpips_distance(x, y)          LPIPS v0.1 AlexNet, `[N, H, W, 3]` -> `[N]`
    i3d_logits(videos)            I3D Kinetics-400 logits, `[N, T, H, W, 3]` -> `[N, 400]`
    frechet_distance(a, b)        Fréchet distance of Gaussian fits to two activation sets
    fvd(real, fake)               Fréchet Video Distance of two video sets

See docs/EVALUATION.md for the definitions and the weight files.
"""

from vrnn_tf.metrics.fvd import frechet_distance
from vrnn_tf.metrics.fvd import fvd
from vrnn_tf.metrics.i3d import i3d_logits
from vrnn_tf.metrics.lpips import lpips_distance
from vrnn_tf.metrics.ssim import psnr
from vrnn_tf.metrics.ssim import ssim

__all__ = ["frechet_distance", "fvd", "i3d_logits", "lpips_distance", "psnr", "ssim"]
