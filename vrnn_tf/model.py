"""HierarchicalVRNN: the training pass, the objective and ancestral sampling.

Data flow, per future step t (context frames c set every initial state):

    encoder(x_{t-1}) --> prior levels  --\\
    encoder(x_t)     --> posterior levels --> z_t^1..z_t^L --> renderer --> x_t
    encoder(x_{t-1}) -----------------------------------------^

Training teacher-forces x_{t-1} and samples z_t from the posterior; generation
samples z_t from the prior and feeds its own frames back, one step at a time,
so its cost is linear in the number of predicted frames.

With `action_dim > 0` the action a_{t-1} taken at frame t-1 also conditions the step
that predicts x_t: tiled to each map's size, it joins the encoder features the prior
and the posterior of every level and the renderer's first block read
(`_step_inputs`; docs/ARCHITECTURE.md, "Actions").
"""

import keras
from keras import ops

from vrnn_tf import elbo
from vrnn_tf.layers.ops_util import merge_time
from vrnn_tf.layers.ops_util import split_time
from vrnn_tf.video_model import VideoPredictionModel


@keras.saving.register_keras_serializable(package="vrnn_tf")
class HierarchicalVRNN(VideoPredictionModel):
    """Conditional VRNN with a hierarchy of latents (Castrejon et al. 2019).

    Args:
        encoder: `FrameEncoder`.
        hierarchy: `LatentHierarchy`.
        renderer: `Renderer`.
        image_size: int. Height = width of the frames. Defaults to 64.
        image_channels: int. Defaults to 3.
        context_frames: int. Frames that condition the prediction. Defaults to 2.
        likelihood: str. "l1", "l2" or "bernoulli" (see `vrnn_tf.elbo`).
            Defaults to "l1".
        beta: float. Final KL weight. Defaults to 1.0.
        beta_warmup_steps: int. Steps over which beta rises from 0. Defaults to 0.
        seed: int or None. Seed of the latent noise (None: a random one). Defaults to 0.
        action_dim: int. Size of the action that conditions each step (4 for BAIR's
            robot); 0, the paper's model, takes none. Defaults to 0.

    Call arguments:
        inputs: the video, float `[B, T, H, W, C]` in [0, 1], T > context_frames; with
            `action_dim > 0` the dict `{"video": ..., "actions": float [B, >= T - 1, A]}`
            (action t is taken at frame t and leads to frame t + 1).
        training: bool.
        noise: None, or the latent noise of the pass (`draw_noise`: the distributed
            train step draws each replica's rows of the global batch's noise); None
            draws it from the model's `noise_seed`.

    Returns:
        dict of per-video ELBO terms, each float32 `[B]`: `reconstruction` and `kl_level_{l}`.
    """

    def __init__(self, encoder, hierarchy, renderer, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.hierarchy = hierarchy
        self.renderer = renderer
        self._check_architecture()
        self._make_trackers()

    @property
    def first_target_frame(self):  # the loss counts the predicted frames only
        return self.context_frames

    @property
    def latent_shapes(self):
        hierarchy = self.hierarchy
        return [(r, r, z) for r, z in zip(hierarchy.resolutions, hierarchy.latent_channels)]

    def _check_architecture(self):
        available = self.encoder.output_resolutions(self.image_size)
        for what, resolutions in [
            ("latent level", self.hierarchy.resolutions),
            ("renderer block", self.renderer.resolutions),
        ]:
            for resolution in resolutions:
                if resolution not in available:
                    raise ValueError(
                        f"A {what} runs at {resolution}x{resolution}, but the frame "
                        f"encoder of {self.image_size}x{self.image_size} frames only "
                        f"has feature maps at {available}."
                    )
        for resolution in self.hierarchy.resolutions:
            if resolution not in self.renderer.resolutions:
                raise ValueError(
                    f"The latent level at {resolution}x{resolution} has no renderer "
                    f"block at that resolution; renderer resolutions: "
                    f"{self.renderer.resolutions}."
                )
        if self.renderer.resolutions[-1] != self.image_size:
            raise ValueError(
                f"The renderer ends at {self.renderer.resolutions[-1]}x"
                f"{self.renderer.resolutions[-1]} but frames are {self.image_size}x"
                f"{self.image_size}."
            )
        if self.renderer.image_channels != self.image_channels:
            raise ValueError(
                f"The renderer draws {self.renderer.image_channels} channels but "
                f"frames have {self.image_channels}."
            )

    def _step_inputs(self, previous, actions=None, current=None):
        """What the networks of a step read: x_{t-1}'s encoding (and x_t's), and a_{t-1}.

        With actions, the action is tiled over each map and concatenated as `A` more
        channels to what the prior and posterior of every level and the renderer's first
        block read (docs/ARCHITECTURE.md, "Actions"); without, the features as they are.

        Args:
            previous: dict `{R: [B, T, R, R, C_R]}`: encodings of x_{t-1}.
            actions: None, or float `[B, T, A]`: a_{t-1} of each step.
            current: None, or the encodings of x_t (training: the posterior's input).

        Returns:
            `(prior_features, posterior_features, render_features)`: lists per level
            (the second None without `current`) and the renderer's dict.
        """

        def with_action(features):
            if actions is None:
                return features
            size = features.shape[2]
            tiled = ops.broadcast_to(
                ops.cast(actions, features.dtype)[:, :, None, None, :],
                (ops.shape(features)[0], features.shape[1], size, size, self.action_dim),
            )
            return ops.concatenate([features, tiled], axis=-1)

        levels = self.hierarchy.resolutions
        first_block = self.renderer.resolutions[0]
        render_features = dict(previous)
        render_features[first_block] = with_action(previous[first_block])
        return (
            [with_action(previous[r]) for r in levels],
            None if current is None else [with_action(current[r]) for r in levels],
            render_features,
        )

    def encode(self, video):
        """Encoder features of every frame: dict `{R: [B, T, R, R, C_R]}`."""
        num_steps = video.shape[1]
        maps = self.encoder(merge_time(video))
        resolutions = self.encoder.output_resolutions(self.image_size)
        return {r: split_time(m, num_steps) for r, m in zip(resolutions, maps)}

    def _training_pass(self, video, actions=None, noise=None, seed=None, training=False):
        """Posterior samples with teacher forcing; returns logits and distributions.

        `actions`: None, or float `[B, >= T - 1, A]`. `noise`: None, or `draw_noise`'s
        list; None draws it from `seed`, by default the model's `noise_seed`.
        """
        context = self.context_frames
        num_future = video.shape[1] - context
        features = self.encode(video)
        context_features = {r: f[:, :context] for r, f in features.items()}
        previous = {r: f[:, context - 1 : -1] for r, f in features.items()}  # x_{t-1}
        current = {r: f[:, context:] for r, f in features.items()}  # x_t
        if actions is not None:  # a_{t-1}, the action that leads from x_{t-1} to x_t
            actions = actions[:, context - 1 : context - 1 + num_future]
        prior_features, posterior_features, render_features = self._step_inputs(
            previous, actions, current
        )
        levels = self.hierarchy.resolutions
        latents = self.hierarchy(
            prior_features,
            self.hierarchy.initial_states([context_features[r] for r in levels]),
            noise
            if noise is not None
            else self._noise(
                ops.shape(video)[0], video.shape[1], self.noise_seed if seed is None else seed
            ),
            posterior_features=posterior_features,
        )
        logits, _ = self.renderer(
            render_features,
            dict(zip(levels, latents["samples"])),
            self.renderer.initial_states([context_features[r] for r in self.renderer.resolutions]),
        )
        return logits, latents

    def start_generation(self, context, num_samples=1, seed=None):
        """The state step-wise sampling starts from (see `generation_step`).

        Args:
            context: as in `generate`.
            num_samples: int or int scalar tensor. Futures per context.
            seed: unused: the context's pass draws no noise.

        Returns:
            dict of `previous` (encoder features of the last context frame,
            `{R: [B * S, 1, R, R, C_R]}`) and the ConvLSTM states `latent` and
            `render`, all sample-major within a context.
        """
        self.check_video(context, "context", min_frames=self.context_frames)
        context = context[:, : self.context_frames]
        features = self.encode(context)
        levels = self.hierarchy.resolutions

        def per_sample(x):  # [B, ...] -> [B * S, ...], sample-major within a context
            return ops.repeat(x, num_samples, axis=0)

        return {
            "previous": {r: per_sample(f[:, -1:]) for r, f in features.items()},
            "latent": keras.tree.map_structure(
                per_sample,
                self.hierarchy.initial_states([features[r] for r in levels], posterior=False),
            ),
            "render": keras.tree.map_structure(
                per_sample,
                self.renderer.initial_states([features[r] for r in self.renderer.resolutions]),
            ),
        }

    def generation_step(self, state, noise, actions=None):
        """Samples the latents of one step from the prior, renders the frame, encodes it.

        Args:
            state: dict from `start_generation` (or the previous step).
            noise: list, per level, of float32 `[B * S, 1, R, R, Z]`, N(0, 1).
            actions: None, or float `[B * S, 1, A]`: the action taken at the previous
                frame (an action model).

        Returns:
            `(frame, state)`: float32 `[B * S, 1, H, W, C]` in [0, 1] and the
            state of the next step, whose `previous` is this frame's encoding.
        """
        levels = self.hierarchy.resolutions
        prior_features, _, render_features = self._step_inputs(state["previous"], actions)
        latents = self.hierarchy(prior_features, state["latent"], noise)
        logits, render_states = self.renderer(
            render_features,
            dict(zip(levels, latents["samples"])),
            state["render"],
        )
        frame = elbo.frame_mean(logits)
        # Only the prior's states: the state keeps one structure from step to step.
        return frame, {
            "previous": self.encode(ops.cast(frame, self.compute_dtype)),
            "latent": {"prior": latents["states"]["prior"]},
            "render": render_states,
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            encoder=keras.saving.serialize_keras_object(self.encoder),
            hierarchy=keras.saving.serialize_keras_object(self.hierarchy),
            renderer=keras.saving.serialize_keras_object(self.renderer),
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("encoder", "hierarchy", "renderer"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
