"""Converts your own videos to sharded TFRecords of clips: `python -m data_prep.videos`.

    python -m data_prep.videos --src DIR --out OUT --resolution 64 \\
        [--clip_frames 30 --stride 30 --test_fraction 0.1 --seed 0 --strict]

Sources: every video file under `DIR` (any depth; MP4, AVI, MOV, MKV, WEBM, ... read by imageio
with the ffmpeg binary that `imageio-ffmpeg` ships, GIF by Pillow) and every folder that holds
image files (PNG, JPEG, ...), which is one video whose frames are its images in name order
(numbers by value: `frame_2` before `frame_10`). Other files are listed in the summary as
ignored (`data_prep.video_sources`).

Each source is cut into clips of `clip_frames` consecutive frames starting every `stride`
frames, cropped to the centre square and resized to `resolution`; the train/test split is by
source, never by clip. The conversion is resumable: a rerun of the same command skips complete
shards (`data_prep.video_shards`, which documents the record format). Bad input is reported by
name and skipped; with `--strict` it stops the conversion. `OUT/summary.json` records the
settings, every source, the clip counts, the skipped sources and the shards.

`data_prep.video_clips.load` reads the clips back (the gin dataset `videos_dataset`).

Exit status: 0 on success; 2 for a bad flag (a missing --src folder, a bad --resolution, an
--out holding another conversion); 1 when the conversion fails (bad input under --strict) or
gives no training clip.
"""

import os
import sys

from absl import flags

from data_prep import command_line
from data_prep import conversion_command
from data_prep import video_shards
from data_prep import video_sources


def define_flags(flag_values):
    """The flags of `python -m data_prep.videos` (defined by `run`, not at import: other
    entry points have flags of the same names, --out, --seed, and may share a process)."""
    define = command_line.FlagDefiner(flag_values)
    define.string("src", None, "Folder of videos / folders of frames.", required=True)
    define.string("out", None, "Output folder.", required=True)
    define.integer("resolution", video_shards.DEFAULT_RESOLUTION, "Side of the square frames.")
    define.integer("clip_frames", video_shards.DEFAULT_CLIP_FRAMES, "Frames per clip.")
    define.integer("stride", None, "Frames between clip starts (default: clip_frames, no overlap).")
    define.float(
        "test_fraction",
        video_shards.DEFAULT_TEST_FRACTION,
        "Share of the source videos held out for test.",
    )
    define.integer("seed", video_shards.DEFAULT_SEED, "Seed of the split.")
    define.integer("shard_sources", video_shards.DEFAULT_SHARD_SOURCES, "Source videos per shard.")
    define.boolean("strict", False, "Stop at the first bad video instead of skipping it.")
    conversion_command.define_flags(flag_values)
    flags.adopt_module_key_flags(conversion_command, flag_values=flag_values)


def main(argv, flag_values):
    """Converts with the parsed flags and prints what it did."""
    command_line.check_writable_folder(flag_values.out, "--out")
    with conversion_command.failures():
        summary = video_shards.convert(
            flag_values.src,
            flag_values.out,
            resolution=flag_values.resolution,
            clip_frames=flag_values.clip_frames,
            stride=flag_values.stride,
            test_fraction=flag_values.test_fraction,
            seed=flag_values.seed,
            shard_sources=flag_values.shard_sources,
            strict=flag_values.strict,
            **conversion_command.settings(flag_values),
        )
    _print_summary(summary, flag_values.out)
    if not summary["num_clips"]["train"]:
        raise command_line.CommandError(
            f"no training clips: every train source was skipped or is shorter than "
            f"{summary['clip_frames']} frames."
        )


def _print_summary(summary, out):
    print(
        f"Videos under {summary['source']}: {len(summary['sources'])} sources; "
        + "; ".join(
            f"{split}: {summary['num_sources'][split]} sources, {summary['num_clips'][split]} clips"
            for split in video_sources.SPLITS
        )
        + f" (clips of {summary['clip_frames']} frames at {summary['resolution']}x"
        f"{summary['resolution']}, one every {summary['stride']} frames)."
    )
    for reason, paths in summary["skipped"].items():
        for path, detail in paths.items():
            print(f"Skipped {path}: {reason}: {detail}")
    if summary["num_ignored_files"]:
        print(
            f"Ignored {summary['num_ignored_files']} files that are neither videos nor "
            f"images (listed in summary.json), e.g. {summary['ignored_files'][0]}."
        )
    out = os.path.abspath(out)
    print(
        f"Wrote {summary['shards_written']} of {len(summary['shards'])} shards (the others "
        f"were complete) to {out}; summary in {os.path.join(out, video_shards.SUMMARY_NAME)}."
    )
    if summary["num_sources"]["test"] and not summary["num_clips"]["test"]:
        print(
            "warning: the test split has no clips: every test source was skipped or is too "
            "short; evaluation needs another --seed or --test_fraction.",
            file=sys.stderr,
        )


def run():
    """`python -m data_prep.videos` and the `vrnn-prepare-videos` command (setup.py)."""
    command_line.run(main, define_flags)


if __name__ == "__main__":
    run()
