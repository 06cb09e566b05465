"""The paper's evaluation protocol (§5.2.1): best of N samples for SSIM, PSNR, LPIPS; FVD.

`protocol` draws the futures and runs the protocol chunk by chunk (resumable); `scoring`
holds the metrics side: per-frame scores, best of N, FVD, the curves. The command line is
`vrnn_tf.evaluate`.
"""
