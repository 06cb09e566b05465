"""SVG-LP (vrnn_tf/svg_lp.py): the release's training loop and loss, generation (linear in the
frames; equal between `generate`, the `Sampler` and the SavedModel), a loss that falls, the
release's parameter counts through gin, bad settings refused before the build."""

import json

import gin
import numpy as np
import pytest
import tensorflow as tf

from tests.layers import svg_release
from vrnn_tf import configurables
from vrnn_tf import sampling
from vrnn_tf import saved_model
from vrnn_tf.analysis import kl_analysis
from vrnn_tf.layers.svg_codec import SVGDecoder
from vrnn_tf.layers.svg_codec import SVGEncoder
from vrnn_tf.svg_lp import SVGLP

from conftest import REPO
from conftest import TINY_SMMNIST_GIN
from conftest import TINY_SVG_GIN


@pytest.fixture
def tiny_svg():
    gin.clear_config()
    gin.parse_config(TINY_SVG_GIN)
    yield configurables.build_model()
    gin.clear_config()


def videos(batch=3, steps=5, seed=0):
    return np.random.default_rng(seed).uniform(size=(batch, steps, 16, 16, 1)).astype("float32")


def release_terms(model, video, noise):
    """`train_svg_lp.py`'s `train(x)` transcribed, per video, with the model's networks:
    the MSE of every step i = 1 .. T - 1 and the release's `kl_criterion` on (mu, logvar)."""
    n_past = model.context_frames
    hidden = {name: getattr(model, name).initial_states(len(video)) for name in NETWORKS}
    mse, kld = 0.0, 0.0
    for i in range(1, video.shape[1]):
        h, skips = model.encoder(video[:, i - 1], training=True)
        if model.last_frame_skip or i < n_past:
            skip = skips
        h_target, _ = model.encoder(video[:, i], training=True)
        (mu, sigma), hidden["posterior"] = model.posterior(h_target, hidden["posterior"])
        (mu_p, sigma_p), hidden["prior"] = model.prior(h, hidden["prior"])
        z_t = mu + sigma * noise[:, i - 1]
        h_pred, hidden["frame_predictor"] = model.frame_predictor(
            tf.concat([h, z_t], 1), hidden["frame_predictor"]
        )
        x_pred = tf.sigmoid(model.decoder(h_pred, skip, training=True))
        mse += np.mean((np.asarray(x_pred) - video[:, i]) ** 2, axis=(1, 2, 3))
        logvar1, logvar2 = 2 * np.log(np.asarray(sigma)), 2 * np.log(np.asarray(sigma_p))
        mu1, mu2 = np.asarray(mu), np.asarray(mu_p)
        sigma1, sigma2 = np.exp(0.5 * logvar1), np.exp(0.5 * logvar2)
        kl = np.log(sigma2 / sigma1) + (np.exp(logvar1) + (mu1 - mu2) ** 2) / (2 * np.exp(logvar2))
        kld += np.sum(kl - 0.5, axis=1)
    return mse, kld


NETWORKS = ("posterior", "prior", "frame_predictor")


@pytest.mark.parametrize("last_frame_skip", [False, True])
def test_terms_are_the_release_training_loop(last_frame_skip):
    gin.clear_config()
    gin.parse_config(TINY_SVG_GIN + f"svg_lp.last_frame_skip = {last_frame_skip}\n")
    gin.bind_parameter("build_model.context_frames", 3)
    model = configurables.build_model()
    gin.clear_config()
    video = videos(steps=6)
    noise = np.random.default_rng(1).normal(size=(3, 5, model.z_dim)).astype("float32")
    terms = model(video, training=True, noise=[noise])
    mse, kld = release_terms(model, video, noise)
    np.testing.assert_allclose(np.asarray(terms["reconstruction"]), mse, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(terms["kl_level_0"]), kld, rtol=1e-4, atol=1e-6)
    # The loss the release minimises: mse + beta * kld (its batch mean).
    loss = model.objective(terms, training=False)
    np.testing.assert_allclose(np.asarray(loss), mse + 1e-4 * kld, rtol=1e-5)


def test_generation_is_linear_in_the_frames_and_seeded(tiny_svg, monkeypatch):
    calls = {"encoder": 0, "decoder": 0}
    for cls, name in ((SVGEncoder, "encoder"), (SVGDecoder, "decoder")):
        original = cls.call

        def counting(self, *args, _original=original, _name=name, **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "call", counting)
    context = videos(batch=2, steps=2)
    for num_future in (2, 4, 8):
        calls.update(encoder=0, decoder=0)
        futures = np.asarray(tiny_svg.generate(context, num_future, num_samples=3, seed=5))
        assert futures.shape == (2, 3, num_future, 16, 16, 1)
        # One decode and one encode per predicted frame, after one encode per context frame.
        assert calls == {"encoder": 2 + num_future, "decoder": num_future}
    again = np.asarray(tiny_svg.generate(context, 8, num_samples=3, seed=5))
    other = np.asarray(tiny_svg.generate(context, 8, num_samples=3, seed=6))
    np.testing.assert_array_equal(futures, again)
    # Untrained, N(0, 0.02) weights pass little of z on: the samples differ, but not by much.
    assert not np.array_equal(futures, other)
    assert not np.array_equal(futures[:, 0], futures[:, 1])  # samples of one context differ


def test_generate_sampler_and_saved_model_agree(tiny_svg, tmp_path):
    # The export takes RGB and turns it gray for a 1-channel model: the same context here.
    rgb = tf.image.grayscale_to_rgb(tf.constant(videos(batch=2, steps=2)))
    context = tf.image.rgb_to_grayscale(rgb).numpy()
    eager = np.asarray(tiny_svg.generate(context, 4, num_samples=2, seed=9))
    compiled = np.asarray(sampling.Sampler(tiny_svg, 4, 2)(context, seed=9))
    np.testing.assert_allclose(compiled, eager, atol=1e-5)
    path = str(tmp_path / "export")
    saved_model.export_saved_model(tiny_svg, path)
    exported = tf.saved_model.load(path)  # held: its variables live as long as it does
    served = exported.predict(rgb, num_future=4, num_samples=2, seed=9).numpy()
    np.testing.assert_allclose(served[..., :1], eager, atol=1e-5)


def test_loss_falls_when_overfitting_one_batch(tiny_svg):
    tiny_svg.compile(
        optimizer=configurables.build_optimizer(global_batch_size=4), jit_compile=False
    )
    # Still frames of binary pixels: the skips of the context carry what a frame should be.
    batch = np.repeat(videos(batch=4, steps=1) > 0.5, 4, axis=1).astype("float32")

    def mean_loss():
        return float(np.mean(tiny_svg.objective(tiny_svg(batch, training=True), False)))

    first = mean_loss()
    tiny_svg.fit(batch, batch_size=4, epochs=30, verbose=0)
    assert int(tiny_svg.training_step.numpy()) == 30
    assert mean_loss() < 0.8 * first, first


@pytest.mark.parametrize("name", sorted(svg_release.PUBLISHED))
def test_gin_files_build_the_release_parameter_counts(name):
    gin_file, release_codec, channels, g_dim, z_dim = svg_release.PUBLISHED[name]
    gin.clear_config()
    configurables.parse_gin([f"{REPO}/{gin_file}"], ["build_model.precision = 'float32'"])
    model = configurables.build_model()
    gin.clear_config()
    expected = svg_release.counts(release_codec, channels, g_dim, z_dim)
    got = {part: svg_release.trainable_count(getattr(model, part)) for part in expected}
    assert got == expected
    assert svg_release.trainable_count(model) == sum(expected.values())


@pytest.mark.parametrize(
    "binding, message",
    [
        ("svg_lp.codec = 'resnet'", r"svg_lp.codec = 'resnet'"),
        ("build_model.image_size = 32", r"16x16 frames.*build_model.image_size = 32"),
        ("build_model.context_frames = 1", r"build_model.context_frames = 1.*last_frame_skip"),
        ("build_model.action_dim = 4", r"build_model.action_dim = 4: SVG-LP takes no actions"),
        ("svg_lp.z_dim = 0", r"svg_lp.z_dim = 0"),
    ],
)
def test_bad_settings_are_refused_before_the_build(binding, message, monkeypatch):
    built = []
    monkeypatch.setattr(SVGLP, "build", lambda self, *a: built.append(self))
    gin.clear_config()
    gin.parse_config(TINY_SVG_GIN + binding + "\n")
    with pytest.raises(ValueError, match=message):
        configurables.build_model()
    gin.clear_config()
    assert not built


def test_the_release_optimizer_at_any_batch():
    # optim.Adam(lr=0.002, betas=(0.9, 0.999)), no weight decay, no warmup.
    gin.clear_config()
    configurables.parse_gin([f"{REPO}/gin/svglp_bair.gin"], ["train.batch_size = 16"])
    optimizer = configurables.build_optimizer()
    gin.clear_config()
    assert (optimizer.beta_1, optimizer.beta_2, optimizer.epsilon) == (0.9, 0.999, 1e-8)
    assert not optimizer.l2_weight_decay and not optimizer.weight_decay
    rates = [float(optimizer._learning_rate(step)) for step in (0, 1000, 180000)]
    np.testing.assert_allclose(rates, [0.002] * 3)


def test_trains_under_mirrored_strategy_and_resumes_on_one_device(tmp_path):
    # Two logical CPUs (tests/conftest.py) stand for two GPUs; graph mode. BatchNorm's batch
    # statistics are each replica's own, so the run is not the one-device run (as with
    # Keras's BatchNormalization anywhere); it trains, checkpoints and resumes.
    gin_text = TINY_SVG_GIN + TINY_SMMNIST_GIN + SVG_LOOP_GIN
    for strategy, steps in (("mirrored", 1), ("default", 2)):
        gin.clear_config()
        gin.parse_config(gin_text + f"train.steps = {steps}\n")
        try:
            summary = configurables.train(str(tmp_path), strategy=strategy)
        finally:
            gin.clear_config()
        assert summary["steps"] == steps
    metrics = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
    assert [m["step"] for m in metrics] == [1, 2]
    assert all(np.isfinite(m["loss"]) and m["kl_level_0"] > 0 for m in metrics)
    run = json.load(open(tmp_path / "run.json"))
    assert run["replicas"] == 1 and summary["start_step"] == 1


SVG_LOOP_GIN = """
train.batch_size = 4
train.future_frames = 1
train.log_every = 1
train.checkpoint_every = 1
train.eval_every = 0
train.sample_every = 0
train.eval_sequences = 4
train.sample_sequences = 1
train.samples_per_sequence = 1
train.export = False
train.jit_compile = False
"""


def test_kl_per_latent_channel_adds_up_to_the_loss_kl(tiny_svg):
    # analyze_kl's measure on SVG-LP's one level of z_dim channels: per channel, averaged over
    # the T - 1 steps; summed over channels and steps it is the ELBO's kl_level_0.
    video = videos(batch=3, steps=5)
    mean_kl, num_videos = kl_analysis.mean_channel_kl(tiny_svg, [video])
    assert num_videos == 3 and [kl.shape for kl in mean_kl] == [(3,)]
    kl_term = np.mean(np.asarray(tiny_svg(video)["kl_level_0"]))
    np.testing.assert_allclose(mean_kl[0].sum() * 4, kl_term, rtol=1e-5)
    summary = kl_analysis.summary(tiny_svg, mean_kl)
    assert summary["levels"][0]["resolution"] == 1 and summary["levels"][0]["channels"] == 3
