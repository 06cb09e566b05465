"""The paper's evaluation protocol (§5.2.1): best of N samples for SSIM, PSNR, LPIPS; FVD.

`protocol` draws the futures and runs the protocol chunk by chunk (resumable): sample, then
score; `scoring` holds the metrics side: per-frame scores, best of N, FVD, the curves;
`sample_files` reads the test clips and samples of any model from files. The command lines
are `vrnn_tf.evaluate` (a vrnn_tf model) and `vrnn_tf.score` (given samples).
"""
