"""What `bench/device_check.py` runs: its parts, their sizes and time budgets, the goals its
figures are held against, and the dry run's toy model.

No flags and no imports: tests/test_device_check.py imports this module (importing the script
would define its absl flags, e.g. `--out`, beside the entry points' own).
"""

GIN_FILE = "gin/bair_hier.gin"
# The baseline, SVG-LP on BAIR (the release's VGG 64x64), timed as the hierarchy is.
SVG_GIN_FILE = "gin/svglp_bair.gin"
PARTS = (  # in the order they run
    "train_bf16",
    "train_f32",
    "sampling",
    "train_cli",
    "svglp_train_bf16",
    "svglp_train_f32",
    "svglp_sampling",
)

# The paper's targets (issue "Ready for the GPU"): MFU of bf16 training, 3x the
# public release's 91 clips/s (bf16 autocast, batch 32, one H100), the BAIR
# sampling protocol in under 2 minutes.
MFU_GOAL = 0.40
RELEASE_CLIPS_PER_SECOND = 91.0
RELEASE_FACTOR_GOAL = 3.0
PROTOCOL_MINUTES_GOAL = 2.0

# Seconds: the whole check, then each part's budget.
TOTAL_BUDGET = 560
BUDGETS = dict(
    train_bf16=120,
    train_f32=90,
    sampling=80,
    train_cli=130,
    svglp_train_bf16=50,
    svglp_train_f32=45,
    svglp_sampling=45,
)
DRY_RUN_TOTAL_BUDGET = 900
DRY_RUN_BUDGETS = dict(
    train_bf16=180,
    train_f32=180,
    sampling=120,
    train_cli=240,
    svglp_train_bf16=60,
    svglp_train_f32=60,
    svglp_sampling=60,
)

# The parts' sizes: bench/train_step.py's batch, timed and warm-up steps; bench/sample.py's
# contexts x futures x frames and contexts per call; the CLI's steps and its log (and
# checkpoint) interval.
SIZES = dict(
    batch_size=32,
    steps=20,
    warmup=3,
    num_contexts=32,
    num_samples=100,
    num_future=28,
    contexts_per_call=8,
    cli_steps=100,
    cli_log_every=50,
)
DRY_RUN_SIZES = dict(
    batch_size=2,
    steps=2,
    warmup=1,
    num_contexts=2,
    num_samples=2,
    num_future=3,
    contexts_per_call=1,
    cli_steps=4,
    cli_log_every=2,
)

# The paper model at toy size, for --dry_run: the same gin file, every part shrunk.
DRY_RUN_BINDINGS = [
    "frame_encoder.stage_channels = (8, 16)",
    "frame_encoder.global_channels = 16",
    # GroupNorm groups of at least 8 values at every resolution (ops_util.check_group_size).
    "frame_encoder.norm_groups = 2",
    "latent_hierarchy.init_norm_groups = 2",
    "latent_hierarchy.resolutions = (1, 4)",
    "latent_hierarchy.latent_channels = (4, 4)",
    "latent_hierarchy.hidden_channels = (8, 8)",
    "latent_hierarchy.lstm_norm_groups = 1",
    "renderer.resolutions = (1, 4, 8)",
    "renderer.hidden_channels = (16, 8, 8)",
    "renderer.recurrent = (True, True, True)",
    "renderer.lstm_norm_groups = 2",
    "renderer.norm_groups = 2",
    "build_model.image_size = 8",
    "synthetic_dataset.image_size = 8",  # the train_cli part's data
    "train.future_frames = 1",
]

# SVG-LP at toy size for --dry_run: 8x8 frames, one VGG stage.
SVG_DRY_RUN_BINDINGS = [
    "build_model.image_size = 8",
    "svg_lp.stage_channels = (8,)",
    "svg_lp.stage_layers = (2,)",
    "svg_lp.g_dim = 8",
    "svg_lp.z_dim = 4",
    "svg_lp.rnn_size = 8",
    "train.future_frames = 1",
]
