"""Samples futures of your own video with an exported model.

    python -m vrnn_tf.predict --model runs/demo/saved_model --input clip.mp4 \\
        --out futures.gif [--num_samples 5 --num_future 28 --seed 0 --fps 8] \\
        [--actions moves.npy]   # an action model only

`--input` is a video file (MP4, GIF, anything imageio with its ffmpeg plugin
reads), a folder of frames (sorted by name) or a `.npy` array `[T, H, W(, 1 or
3)]` (uint8, or float in [0, 1]). Its frames are centre-cropped to a square
and resized to the model's resolution; the first `context_frames` of them are
the context. The output (GIF or MP4, by extension) is an animated grid with
one tile per sample: the context (green frame) followed by that sample's
future (red frame).

`--model` is a SavedModel written by `vrnn_tf.export` (training writes one to
`WORKDIR/saved_model`). A model conditioned on actions (`build_model.action_dim > 0`, e.g.
`gin/bair_hier_actions.gin`) also needs `--actions`, a `.npy` array `[N, action_dim]` with
N >= context_frames + num_future - 1: action t is the one taken at frame t of the clip
(BAIR: the robot's commanded move), so the futures show what the camera would see if the
robot did this.
"""

from data_prep import command_line
from vrnn_tf import prediction


def define_flags(flag_values):
    define = command_line.FlagDefiner(flag_values)
    define.string("model", None, "SavedModel folder written by vrnn_tf.export.")
    define.string("input", None, "Video file (MP4, GIF, ...), folder of frames or .npy.")
    define.string("out", None, "Output animation: .gif or .mp4.")
    define.integer("num_samples", 5, "Sampled futures.")
    define.integer("num_future", 28, "Predicted frames per sample.")
    define.integer("seed", 0, "Seed of the latent noise: the same seed, the same futures.")
    define.float("fps", 8.0, "Frames per second of the output.")
    define.string(
        "actions",
        None,
        "An action model's actions to follow: .npy [N, action_dim], action t "
        "taken at frame t, N >= context frames + num_future - 1.",
    )


def main(argv, flag_values):
    for name in ("model", "input", "out"):
        if not flag_values[name].value:
            raise command_line.UsageError(f"--{name} is required.")
    try:
        prediction.predict_clip(
            flag_values.model,
            flag_values.input,
            flag_values.out,
            flag_values.num_samples,
            flag_values.num_future,
            flag_values.seed,
            flag_values.fps,
            flag_values.actions,
        )
    except (FileNotFoundError, ValueError) as error:
        raise command_line.UsageError(str(error)) from error


def run():
    """`python -m vrnn_tf.predict` and the `vrnn-predict` command (setup.py)."""
    command_line.run(main, define_flags)


if __name__ == "__main__":
    run()
