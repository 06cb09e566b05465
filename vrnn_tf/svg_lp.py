"""SVGLP: the paper's baseline, SVG with a learned prior (Denton & Fergus 2018), as the release
(github.com/edenton/svg, `train_svg_lp.py`) trains and samples it.

Per step i = 1 .. T - 1 (x_0 is the first frame):

    h_{i-1}, skips = encoder(x_{i-1})        h_i = encoder(x_i)
    z_i ~ q(z | h_i)         posterior: Gaussian LSTM over h_1, h_2, ...
    p(z | h_{i-1})           learned prior: Gaussian LSTM over h_0, h_1, ...
    g_i = predictor([h_{i-1}, z_i])          2-layer LSTM
    x_i ~ decoder(g_i, skips of the skip frame)

Training teacher-forces every x_{i-1} and counts every step in the loss, the context's too;
generation runs the context steps with posterior samples (as the release's `generate_svg_lp.py`
does) and the predicted steps with prior samples, feeding its frames back to the encoder.

The skip frame: the release updates the skips while `i < n_past` (or always, with
`--last_frame_skip`), so a predicted frame reads the skips of context frame `n_past - 2`, the
last frame encoded as an input before prediction starts (docs/EXPERIMENTS.md, "SVG-LP").

BatchNorm: training uses each frame's batch statistics, as the release's per-frame calls do;
evaluation and generation use the moving averages (the release keeps batch statistics at
generation, which makes a sample depend on the rest of its batch: docs/EXPERIMENTS.md).
"""

import keras
from keras import ops

from vrnn_tf import distributions
from vrnn_tf import elbo
from vrnn_tf.layers.svg_codec import SVGDecoder
from vrnn_tf.layers.svg_codec import SVGEncoder
from vrnn_tf.layers.svg_codec import check_codec
from vrnn_tf.layers.svg_codec import official_stages
from vrnn_tf.layers.svg_lstm import SVGLSTM
from vrnn_tf.video_model import VideoPredictionModel


@keras.saving.register_keras_serializable(package="vrnn_tf")
class SVGLP(VideoPredictionModel):
    """SVG-LP (see the module docstring), with `VideoPredictionModel`'s interface.

    Args:
        codec: "dcgan" or "vgg": the encoder and decoder. Defaults to "dcgan".
        stage_channels, stage_layers: tuples, the codec's stages (`vrnn_tf.layers.svg_codec`);
            None: the release's for `image_size` (64 or 128). Defaults to None.
        g_dim: int. Size of a frame's encoding and of the predictor's output. Defaults to 128.
        z_dim: int. Size of the latent. Defaults to 10.
        rnn_size: int. Hidden size of the three LSTMs. Defaults to 256.
        predictor_layers, posterior_layers, prior_layers: int. LSTM cells of each.
            Defaults to 2, 1 and 1.
        last_frame_skip: bool. Skips from the latest input frame at every step, not from
            the context. Defaults to False.
        **kwargs: `VideoPredictionModel`'s (image_size, image_channels, context_frames,
            likelihood, beta, beta_warmup_steps, seed; action_dim must be 0).

    Call arguments and returns: `VideoPredictionModel`'s; one latent level, `kl_level_0`,
    and every step from frame 1 on in both terms.
    """

    first_target_frame = 1

    def __init__(
        self,
        codec="dcgan",
        stage_channels=None,
        stage_layers=None,
        g_dim=128,
        z_dim=10,
        rnn_size=256,
        predictor_layers=2,
        posterior_layers=1,
        prior_layers=1,
        last_frame_skip=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        official = official_stages(codec, self.image_size) or (None, None)
        self.codec = codec
        self.stage_channels = tuple(stage_channels or official[0] or ())
        self.stage_layers = tuple(stage_layers or official[1] or ())
        self.g_dim, self.z_dim, self.rnn_size = g_dim, z_dim, rnn_size
        self.predictor_layers = predictor_layers
        self.posterior_layers = posterior_layers
        self.prior_layers = prior_layers
        self.last_frame_skip = last_frame_skip
        self._check_svg_settings()
        policy = self.dtype_policy
        stages = dict(
            style=codec, stage_channels=self.stage_channels, stage_layers=self.stage_layers
        )
        self.encoder = SVGEncoder(g_dim, **stages, dtype=policy, name="encoder")
        self.decoder = SVGDecoder(self.image_channels, **stages, dtype=policy, name="decoder")
        self.frame_predictor = SVGLSTM(
            g_dim, rnn_size, predictor_layers, dtype=policy, name="frame_predictor"
        )
        self.posterior = SVGLSTM(
            z_dim, rnn_size, posterior_layers, gaussian=True, dtype=policy, name="posterior"
        )
        self.prior = SVGLSTM(
            z_dim, rnn_size, prior_layers, gaussian=True, dtype=policy, name="prior"
        )
        self._make_trackers()

    def _check_svg_settings(self):
        if self.action_dim:
            raise ValueError(
                f"build_model.action_dim = {self.action_dim}: SVG-LP takes no actions "
                "(the release has none); use the hierarchical model for action conditioning."
            )
        check_codec(self.codec, self.stage_channels, self.stage_layers, self.image_size)
        if self.context_frames < 2 and not self.last_frame_skip:
            raise ValueError(
                f"build_model.context_frames = {self.context_frames}: SVG-LP reads the skips "
                "of context frame context_frames - 2 (as the release does), so it needs 2 "
                "or more context frames, or svg_lp.last_frame_skip = True."
            )
        for name in ("g_dim", "z_dim", "rnn_size", "predictor_layers"):
            if getattr(self, name) < 1:
                raise ValueError(f"svg_lp.{name} = {getattr(self, name)}; it must be >= 1.")

    @property
    def latent_shapes(self):
        return [(self.z_dim,)]

    def _encode_frames(self, video, training):
        """Each frame on its own (BatchNorm's statistics per frame, as the release's calls)."""
        codes = [self.encoder(video[:, t], training=training) for t in range(video.shape[1])]
        return [vector for vector, _ in codes], [skips for _, skips in codes]

    def _initial_states(self, rows):
        """Zero states of the three LSTMs, as the release's `init_hidden`."""
        return {
            "posterior": self.posterior.initial_states(rows),
            "prior": self.prior.initial_states(rows),
            "predictor": self.frame_predictor.initial_states(rows),
        }

    def _teacher_forced_step(self, previous, current, noise, states):
        """One step i with x_i known: z_i from the posterior on `current` (h_i), the prior on
        `previous` (h_{i-1}), the predictor on both. Updates `states` in place.

        Returns:
            `(predicted [B, g_dim], posterior (mean, scale), prior (mean, scale))`.
        """
        q, states["posterior"] = self.posterior(current, states["posterior"])
        p, states["prior"] = self.prior(previous, states["prior"])
        z = q[0] + q[1] * noise
        predicted, states["predictor"] = self.frame_predictor(
            ops.concatenate([previous, z], axis=-1), states["predictor"]
        )
        return predicted, q, p

    def _training_pass(self, video, actions=None, noise=None, seed=None, training=False):
        vectors, skips = self._encode_frames(video, training)
        batch = ops.shape(video)[0]
        if noise is None:
            seed = self.noise_seed if seed is None else seed
            noise = self._noise(batch, video.shape[1], seed)
        states = self._initial_states(batch)
        logits, posterior, prior = [], [], []
        for i in range(1, video.shape[1]):
            if self.last_frame_skip or i < self.context_frames:
                skip = skips[i - 1]
            predicted, q, p = self._teacher_forced_step(
                vectors[i - 1], vectors[i], noise[0][:, i - 1], states
            )
            logits.append(self.decoder(predicted, skip, training=training))
            posterior.append(q)
            prior.append(p)

        def stacked(pairs):  # [(mean, scale)] per step -> one level of [B, T - 1, Z] pairs
            return [tuple(ops.stack(part, axis=1) for part in zip(*pairs))]

        latents = {"posterior": stacked(posterior), "prior": stacked(prior)}
        return ops.stack(logits, axis=1), latents

    def start_generation(self, context, num_samples=1, seed=0):
        """Runs the context steps (posterior samples, as the release) -> the sampling state.

        Args:
            context: float `[B, >= context_frames, H, W, C]` in [0, 1].
            num_samples: int or int scalar tensor. Futures per context.
            seed: int or integer scalar tensor: the context steps' posterior noise is
                `distributions.draw_step_noise` at steps -2, -3, ... (the predicted
                steps draw at 0, 1, ...).

        Returns:
            dict: `previous` (the last context frame's encoding, `[B * S, g_dim]`), `skip`
            (the skips predicted frames read), the `prior` and `predictor` LSTM states;
            rows sample-major within a context.
        """
        self.check_video(context, "context", min_frames=self.context_frames)
        vectors, skips = self._encode_frames(context[:, : self.context_frames], False)

        def per_sample(x):  # [B, ...] -> [B * S, ...]
            return ops.repeat(x, num_samples, axis=0)

        vectors = [per_sample(v) for v in vectors]
        skips = keras.tree.map_structure(per_sample, skips)
        rows = ops.shape(vectors[0])[0]
        states = self._initial_states(rows)
        skip = skips[0]
        for i in range(1, self.context_frames):
            skip = skips[i - 1]
            (noise,) = distributions.draw_step_noise([(rows, self.z_dim)], seed, -(i + 1))
            self._teacher_forced_step(vectors[i - 1], vectors[i], noise, states)
        if self.last_frame_skip:
            skip = skips[-1]
        return {
            "previous": vectors[-1],
            "skip": skip,
            "prior": states["prior"],
            "predictor": states["predictor"],
        }

    def generation_step(self, state, noise, actions=None):
        """Samples z from the learned prior, predicts and decodes a frame, encodes it.

        Args:
            state: dict from `start_generation` (or the previous step).
            noise: list of one float32 `[B * S, 1, z_dim]`, N(0, 1).
            actions: unused (SVG-LP takes none).

        Returns:
            `(frame, state)`: float32 `[B * S, 1, H, W, C]` in [0, 1] and the next state.
        """
        previous = state["previous"]
        (mean, scale), prior_state = self.prior(previous, state["prior"])
        z = mean + scale * noise[0][:, 0]
        predicted, predictor_state = self.frame_predictor(
            ops.concatenate([previous, z], axis=-1), state["predictor"]
        )
        frame = elbo.frame_mean(self.decoder(predicted, state["skip"], training=False))
        vector, skips = self.encoder(frame, training=False)
        return frame[:, None], {
            "previous": vector,
            "skip": skips if self.last_frame_skip else state["skip"],
            "prior": prior_state,
            "predictor": predictor_state,
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            codec=self.codec,
            stage_channels=self.stage_channels,
            stage_layers=self.stage_layers,
            g_dim=self.g_dim,
            z_dim=self.z_dim,
            rnn_size=self.rnn_size,
            predictor_layers=self.predictor_layers,
            posterior_layers=self.posterior_layers,
            prior_layers=self.prior_layers,
            last_frame_skip=self.last_frame_skip,
        )
        return config
