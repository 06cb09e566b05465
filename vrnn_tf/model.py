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
import numpy as np
from keras import ops

from vrnn_tf import distributions
from vrnn_tf import elbo
from vrnn_tf import sampling
from vrnn_tf import schedules
from vrnn_tf.batch_layout import split_batch
from vrnn_tf.layers.ops_util import merge_time
from vrnn_tf.layers.ops_util import split_time

# Where `save_own_variables` keeps the latent noise generator's state.
NOISE_STATE_KEY = "noise_seed_state"


def check_actions(action_dim, actions, transitions, what="actions"):
    """Raises a ValueError unless `actions` suit a model with `action_dim`: None without
    actions, else float `[B, >= transitions, action_dim]` (`transitions` None: unknown)."""
    if not action_dim:
        if actions is not None:
            raise ValueError(
                f"This model takes no actions (build_model.action_dim = 0), but {what} "
                "were given; train a model with build_model.action_dim > 0 to condition "
                "on them."
            )
        return
    if actions is None:
        raise ValueError(
            f"This model is conditioned on actions (build_model.action_dim = "
            f"{action_dim}): pass {what}, float [batch, frames - 1, {action_dim}]"
            ", the action taken at each frame but the last."
        )
    shape = tuple(actions.shape) if hasattr(actions, "shape") else np.shape(actions)
    if len(shape) != 3 or shape[-1] != action_dim:
        raise ValueError(
            f"{what} must be shaped [batch, transitions, {action_dim}] for this "
            f"model; got {list(shape)}."
        )
    if transitions is not None and shape[1] is not None and shape[1] < transitions:
        raise ValueError(
            f"{what} hold {shape[1]} actions per clip, but {transitions} are needed: one "
            "per predicted frame, from the last context frame on (action t leads to "
            "frame t + 1)."
        )


@keras.saving.register_keras_serializable(package="vrnn_tf")
class HierarchicalVRNN(keras.Model):
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

    def __init__(
        self,
        encoder,
        hierarchy,
        renderer,
        image_size=64,
        image_channels=3,
        context_frames=2,
        likelihood="l1",
        beta=1.0,
        beta_warmup_steps=0,
        seed=0,
        action_dim=0,
        **kwargs,
    ):
        # Videos stay float32 under mixed precision: the likelihood's targets
        # must not be rounded to bfloat16 (the encoder casts its own input).
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.encoder = encoder
        self.hierarchy = hierarchy
        self.renderer = renderer
        self.image_size = image_size
        self.image_channels = image_channels
        self.context_frames = context_frames
        self.likelihood = likelihood
        self.beta = beta
        self.beta_warmup_steps = beta_warmup_steps
        self.seed = seed
        self.action_dim = action_dim
        self._check_architecture()
        self.noise_seed = keras.random.SeedGenerator(seed, name="noise_seed")
        # The ELBO's own step counter: beta warmup reads it. It is a model
        # variable (not optimizer.iterations) so that JAX's stateless train
        # step threads it through compute_loss.
        self.training_step = self.add_weight(
            shape=(),
            dtype="int32",
            initializer="zeros",
            trainable=False,
            aggregation="only_first_replica",
            name="training_step",
        )
        self.trackers = {
            name: keras.metrics.Mean(name=name)
            for name in ["loss", "neg_elbo", "reconstruction"]
            + [f"kl_level_{level}" for level in range(hierarchy.num_levels)]
            + ["beta", "learning_rate", "gradient_norm"]
        }
        # Steps skipped for a NaN/Inf loss or gradient (`track_update`), per log interval.
        self.trackers["nonfinite_steps"] = keras.metrics.Sum(name="nonfinite_steps")

    def _check_architecture(self):
        elbo.check_likelihood(self.likelihood)
        if self.context_frames < 1:
            raise ValueError(f"context_frames must be >= 1, got {self.context_frames}.")
        if isinstance(self.action_dim, bool) or not (
            isinstance(self.action_dim, int) and self.action_dim >= 0
        ):
            raise ValueError(f"action_dim must be an int >= 0, got {self.action_dim!r}.")
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

    def build(self, input_shape=None):
        # Run the training pass once on one video so that every sublayer owns
        # its weights before checkpoints are restored or `generate` is called.
        # On TensorFlow a concrete zero video is several times faster than a
        # symbolic one (which builds a graph); on JAX the symbolic pass
        # (jax.eval_shape) is the fast one: eager ops compile one by one. The
        # fixed seed leaves the model's own noise stream where it was.
        shape = (1, self.context_frames + 1, self.image_size, self.image_size, self.image_channels)
        actions_shape = (1, self.context_frames, self.action_dim)
        if keras.backend.backend() == "tensorflow":
            video, actions = ops.zeros(shape, "float32"), ops.zeros(actions_shape, "float32")
        else:
            video, actions = keras.KerasTensor(shape), keras.KerasTensor(actions_shape)
        self._training_pass(video, actions if self.action_dim else None, seed=0)
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def check_video(self, video, what="video", min_frames=None):
        """Raises a ValueError naming what is wrong with a `[B, T, H, W, C]` batch."""
        shape = tuple(video.shape)
        expected = (self.image_size, self.image_size, self.image_channels)
        if len(shape) != 5 or tuple(shape[2:]) != expected:
            raise ValueError(
                f"{what} must be shaped [batch, time, {expected[0]}, {expected[1]}, "
                f"{expected[2]}] for this model; got {list(shape)}."
            )
        min_frames = self.context_frames + 1 if min_frames is None else min_frames
        if shape[1] is not None and shape[1] < min_frames:
            raise ValueError(
                f"{what} has {shape[1]} frames but this model needs at least "
                f"{min_frames} ({self.context_frames} context frames"
                + (" + 1 to predict)." if min_frames > self.context_frames else ").")
            )

    def check_actions(self, actions, transitions, what="actions"):
        """`check_actions` for this model's `action_dim`."""
        check_actions(self.action_dim, actions, transitions, what)

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

    def draw_noise(self, batch_size, num_future, batch_offset=0, global_batch_size=None):
        """The latent noise of a training pass, from the model's `noise_seed` (advancing it).

        Under a distribution strategy the rows `batch_offset ...` of the global batch's
        noise: each replica its own, the single-device draw of the same global batch
        together (`distributions.draw_standard_normal`).

        Args:
            batch_size: int or int scalar. This replica's videos.
            num_future: int. Predicted frames.
            batch_offset, global_batch_size: int or int scalar. This replica's first row
                and the rows over all replicas (None: `batch_size`).

        Returns:
            list per level of float32 `[batch_size, num_future, R, R, Z]`.
        """
        return self._noise(batch_size, num_future, self.noise_seed, global_batch_size, batch_offset)

    def _noise(self, batch_size, num_steps, seed, global_batch_size=None, batch_offset=0):
        shapes = [
            (batch_size, num_steps, r, r, z)
            for r, z in zip(self.hierarchy.resolutions, self.hierarchy.latent_channels)
        ]
        return distributions.draw_standard_normal(shapes, seed, global_batch_size, batch_offset)

    def _training_pass(self, video, actions=None, noise=None, seed=None):
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
                ops.shape(video)[0], num_future, self.noise_seed if seed is None else seed
            ),
            posterior_features=posterior_features,
        )
        logits, _ = self.renderer(
            render_features,
            dict(zip(levels, latents["samples"])),
            self.renderer.initial_states([context_features[r] for r in self.renderer.resolutions]),
        )
        return logits, latents

    def call(self, inputs, training=False, noise=None):
        video, actions = split_batch(inputs)
        self.check_video(video)
        self.check_actions(actions, video.shape[1] - 1)
        logits, latents = self._training_pass(video, actions, noise)
        return elbo.elbo_terms(
            self.likelihood,
            logits,
            video[:, self.context_frames :],
            latents["posterior"],
            latents["prior"],
        )

    def latent_distributions(self, inputs):
        """Posterior and prior of every level on a video (teacher forcing, posterior samples).

        Args:
            inputs: as `call`'s (a video, or a dict with actions).

        Returns:
            `(posterior, prior)`: lists per level of `(mean, scale)`, each
            float32 `[B, T - context_frames, R, R, Z]`.
        """
        video, actions = split_batch(inputs)
        self.check_video(video)
        self.check_actions(actions, video.shape[1] - 1)
        _, latents = self._training_pass(video, actions)
        return latents["posterior"], latents["prior"]

    def reconstruct(self, inputs):
        """Posterior reconstructions of the future frames, `[B, T - context, H, W, C]`."""
        video, actions = split_batch(inputs)
        self.check_video(video)
        self.check_actions(actions, video.shape[1] - 1)
        logits, _ = self._training_pass(video, actions)
        return elbo.frame_mean(logits)

    def generate(self, context, num_future, num_samples=1, seed=None, actions=None):
        """Samples futures from the prior, one step at a time (ancestral sampling).

        The loop of `vrnn_tf.sampling.sample_futures`, run as called (eagerly, or
        traced by the caller); `vrnn_tf.sampling.Sampler` compiles it.

        Args:
            context: float `[B, context_frames, H, W, C]` in [0, 1] (longer clips
                use their first `context_frames` frames).
            num_future: int. Frames to predict; may exceed the training horizon.
            num_samples: int. Futures per context, drawn in one batched pass.
            seed: int, integer scalar tensor, `keras.random.SeedGenerator` or
                None (the model's own).
            actions: float `[B, >= context_frames + num_future - 1, action_dim]`, one
                per transition from the first frame on (an action model only; the
                actions of the context's transitions are not read).

        Returns:
            float32 `[B, num_samples, num_future, H, W, C]` in [0, 1].
        """
        return sampling.sample_futures(self, context, num_future, num_samples, seed, actions)

    def start_generation(self, context, num_samples=1):
        """The state step-wise sampling starts from (see `generation_step`).

        Args:
            context: as in `generate`.
            num_samples: int or int scalar tensor. Futures per context.

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

    def objective(self, terms, training=True):
        """The loss that training minimises, per video: the one place it is assembled.

        `reconstruction + beta * KL` (`elbo.negative_elbo`) at the current beta.
        It feeds the ELBO's trackers (`loss`, `neg_elbo`, `reconstruction`,
        `kl_level_{l}`, `beta`; they aggregate across replicas) and, in
        training, advances `training_step`, the counter beta's warmup follows.
        Both train steps call it (TensorFlow: `tf_train_step`, which advances the
        counter itself, outside the replicas' XLA programs; JAX: through
        `compute_loss`), and so does Keras's test step; the steps own only the
        gradient, its all-reduce and the skipping of NaN/Inf steps.

        Args:
            terms: dict of per-video ELBO terms (`call`'s output).
            training: bool. Advance the step counter.

        Returns:
            float32 `[B]`.
        """
        beta = self.current_beta()
        loss = elbo.negative_elbo(terms, beta)
        self.trackers["loss"].update_state(loss)
        self.trackers["neg_elbo"].update_state(elbo.negative_elbo(terms))
        self.trackers["reconstruction"].update_state(terms["reconstruction"])
        for level in range(self.hierarchy.num_levels):
            self.trackers[f"kl_level_{level}"].update_state(terms[f"kl_level_{level}"])
        self.trackers["beta"].update_state(beta)
        if training:
            self.training_step.assign_add(1)
        return loss

    def track_update(self, learning_rate, gradient_norm, applied, replicas=1):
        """The optimizer's side of a train step's logs.

        Args:
            learning_rate, gradient_norm: float scalars of the step (finite
                where `applied`).
            applied: float scalar, 1 if the update was applied, 0 if the step
                was skipped for NaN/Inf (then only `nonfinite_steps` moves).
            replicas: int. Replicas in sync: each counts its share of a
                skipped step, so that the sum over replicas counts it once.
        """
        self.trackers["learning_rate"].update_state(learning_rate, sample_weight=applied)
        self.trackers["gradient_norm"].update_state(gradient_norm, sample_weight=applied)
        self.trackers["nonfinite_steps"].update_state((1.0 - applied) / replicas)

    def current_beta(self):
        return schedules.beta_at(self.training_step, self.beta, self.beta_warmup_steps)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        # Keras's JAX train step (`jax_train_step`, through compute_loss_and_updates)
        # and its test step (both backends) call this: the objective's mean.
        return ops.mean(self.objective(y_pred, training))

    def save_own_variables(self, store):
        # Keras saves no SeedGenerator state; a resumed run must draw the noise
        # the uninterrupted run would have drawn, so the checkpoint keeps it.
        super().save_own_variables(store)
        store[NOISE_STATE_KEY] = self.noise_seed.state

    def load_own_variables(self, store):
        if NOISE_STATE_KEY in store.keys():  # absent from archives of older versions
            self.noise_seed.state.assign(store[NOISE_STATE_KEY])
        super().load_own_variables({k: store[k] for k in store.keys() if k != NOISE_STATE_KEY})

    def get_config(self):
        config = super().get_config()
        config.update(
            encoder=keras.saving.serialize_keras_object(self.encoder),
            hierarchy=keras.saving.serialize_keras_object(self.hierarchy),
            renderer=keras.saving.serialize_keras_object(self.renderer),
            image_size=self.image_size,
            image_channels=self.image_channels,
            context_frames=self.context_frames,
            likelihood=self.likelihood,
            beta=self.beta,
            beta_warmup_steps=self.beta_warmup_steps,
            seed=self.seed,
            action_dim=self.action_dim,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("encoder", "hierarchy", "renderer"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
