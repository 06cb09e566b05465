"""HierarchicalVRNN: the training pass, ancestral sampling and the train step.

Data flow, per future step t (context frames c set every initial state):

    encoder(x_{t-1}) --> prior levels  --\\
    encoder(x_t)     --> posterior levels --> z_t^1..z_t^L --> renderer --> x_t
    encoder(x_{t-1}) -----------------------------------------^

Training teacher-forces x_{t-1} and samples z_t from the posterior; generation
samples z_t from the prior and feeds its own frames back, one step at a time,
so its cost is linear in the number of predicted frames.
"""

import keras
from keras import ops

from vrnn_tf import distributions
from vrnn_tf import elbo
from vrnn_tf import schedules
from vrnn_tf.layers.ops_util import merge_time
from vrnn_tf.layers.ops_util import split_time

# Where `save_own_variables` keeps the latent noise generator's state.
NOISE_STATE_KEY = "noise_seed_state"


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

    Call arguments:
        video: float `[B, T, H, W, C]` in [0, 1], T > context_frames.
        training: bool.
        batch_offset, global_batch_size: this replica's rows of the global
            batch (set by the distributed train step; see
            `distributions.draw_standard_normal`).

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
        if keras.backend.backend() == "tensorflow":
            video = ops.zeros(shape, "float32")
        else:
            video = keras.KerasTensor(shape)
        self._training_pass(video, seed=0)
        self.built = True

    def compile(self, *args, **kwargs):
        super().compile(*args, **kwargs)
        # Create the optimizer's slots now: made inside the first traced
        # train step, they make TensorFlow trace the step twice.
        if self.optimizer is not None:
            self.optimizer.build(self.trainable_variables)

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

    def encode(self, video):
        """Encoder features of every frame: dict `{R: [B, T, R, R, C_R]}`."""
        num_steps = video.shape[1]
        maps = self.encoder(merge_time(video))
        resolutions = self.encoder.output_resolutions(self.image_size)
        return {r: split_time(m, num_steps) for r, m in zip(resolutions, maps)}

    def _noise(self, batch_size, num_steps, seed, global_batch_size=None, batch_offset=0):
        shapes = [
            (batch_size, num_steps, r, r, z)
            for r, z in zip(self.hierarchy.resolutions, self.hierarchy.latent_channels)
        ]
        return distributions.draw_standard_normal(shapes, seed, global_batch_size, batch_offset)

    def _training_pass(self, video, batch_offset=0, global_batch_size=None, seed=None):
        """Posterior samples with teacher forcing; returns logits and distributions.

        `seed`: the latent noise's seed; defaults to the model's `noise_seed`.
        """
        context = self.context_frames
        num_future = video.shape[1] - context
        features = self.encode(video)
        context_features = {r: f[:, :context] for r, f in features.items()}
        previous = {r: f[:, context - 1 : -1] for r, f in features.items()}  # x_{t-1}
        current = {r: f[:, context:] for r, f in features.items()}  # x_t
        levels = self.hierarchy.resolutions
        latents = self.hierarchy(
            [previous[r] for r in levels],
            self.hierarchy.initial_states([context_features[r] for r in levels]),
            self._noise(
                ops.shape(video)[0],
                num_future,
                self.noise_seed if seed is None else seed,
                global_batch_size,
                batch_offset,
            ),
            posterior_features=[current[r] for r in levels],
        )
        logits, _ = self.renderer(
            previous,
            dict(zip(levels, latents["samples"])),
            self.renderer.initial_states([context_features[r] for r in self.renderer.resolutions]),
        )
        return logits, latents

    def call(self, video, training=False, batch_offset=0, global_batch_size=None):
        self.check_video(video)
        logits, latents = self._training_pass(video, batch_offset, global_batch_size)
        return elbo.elbo_terms(
            self.likelihood,
            logits,
            video[:, self.context_frames :],
            latents["posterior"],
            latents["prior"],
        )

    def latent_distributions(self, video):
        """Posterior and prior of every level on a video (teacher forcing, posterior samples).

        Returns:
            `(posterior, prior)`: lists per level of `(mean, scale)`, each
            float32 `[B, T - context_frames, R, R, Z]`.
        """
        self.check_video(video)
        _, latents = self._training_pass(video)
        return latents["posterior"], latents["prior"]

    def reconstruct(self, video):
        """Posterior reconstructions of the future frames, `[B, T - context, H, W, C]`."""
        self.check_video(video)
        logits, _ = self._training_pass(video)
        return elbo.frame_mean(logits)

    def generate(self, context, num_future, num_samples=1, seed=None):
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

        Returns:
            float32 `[B, num_samples, num_future, H, W, C]` in [0, 1].
        """
        from vrnn_tf import sampling  # the loop is backend-specific

        return sampling.sample_futures(self, context, num_future, num_samples, seed)

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

    def generation_step(self, state, noise):
        """Samples the latents of one step from the prior, renders the frame, encodes it.

        Args:
            state: dict from `start_generation` (or the previous step).
            noise: list, per level, of float32 `[B * S, 1, R, R, Z]`, N(0, 1).

        Returns:
            `(frame, state)`: float32 `[B * S, 1, H, W, C]` in [0, 1] and the
            state of the next step, whose `previous` is this frame's encoding.
        """
        levels = self.hierarchy.resolutions
        previous = state["previous"]
        latents = self.hierarchy([previous[r] for r in levels], state["latent"], noise)
        logits, render_states = self.renderer(
            previous,
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
        Both train steps call it (TensorFlow: `tf_train_step`; JAX: through
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

    def train_step(self, *args):
        if keras.backend.backend() == "tensorflow":
            from vrnn_tf.backends import tf_train_step  # TensorFlow only where it is the backend

            # fit() passes the video; train_on_batch() passes (video, None, None).
            video, _, _ = keras.utils.unpack_x_y_sample_weight(args[0])
            return tf_train_step.train_step(self, video)
        from vrnn_tf.backends import jax_train_step  # JAX only where it is the backend

        return jax_train_step.train_step(self, *args)

    def test_step(self, *args):
        logs = super().test_step(*args)
        if keras.backend.backend() == "tensorflow":
            from vrnn_tf.backends import tf_train_step

            logs = tf_train_step.reducible_logs(logs)
        return logs

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
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("encoder", "hierarchy", "renderer"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
