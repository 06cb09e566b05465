"""The layout of a batch, which the data side writes and the model reads.

A batch is a video array `[B, T, H, W, C]`, or, for a model conditioned on actions
(`build_model.action_dim > 0`), a dict `{"video": [B, T, H, W, C], "actions": [B, T - 1, A]}`:
action t is the one taken at frame t, which leads to frame t + 1.
"""

VIDEO = "video"
ACTIONS = "actions"


def split_batch(batch):
    """`(video, actions)` of a batch (module doc); actions None for a plain video batch."""
    if isinstance(batch, dict):
        return batch[VIDEO], batch.get(ACTIONS)
    return batch, None
