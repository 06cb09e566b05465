"""VideoPredictionModel: what every model of the library shares, and the interface the rest sees.

The train steps, the NaN guard, checkpoints, monitoring, `generate` and the `Sampler`, the
SavedModel, `predict`, `evaluate`, `score` and `analyze_kl` see a model only through this
class. A model (`HierarchicalVRNN`, `SVGLP`) supplies four things:

- `latent_shapes`: the shape of each latent level at one step, without batch and time;
- `_training_pass(video, actions, noise)`: the teacher-forced pass, giving the logits of the
  frames the loss reconstructs (from frame `first_target_frame` on) and the posterior and
  prior of every level;
- `start_generation(context, num_samples, seed)` and `generation_step(state, noise, actions)`:
  ancestral sampling, one step per frame (`vrnn_tf.sampling`);
- `get_config` and `from_config` for its own sublayers.

The rest lives here once: the ELBO's terms (`call`), the objective and its trackers, beta's
warmup, the latent noise and its checkpointed seed state, input checks.
"""

import keras
import numpy as np
from keras import ops

from vrnn_tf import distributions
from vrnn_tf import elbo
from vrnn_tf import sampling
from vrnn_tf import schedules
from vrnn_tf.batch_layout import split_batch

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


class VideoPredictionModel(keras.Model):
    """Base of the library's conditional video models (see the module docstring).

    Args:
        image_size: int. Height = width of the frames. Defaults to 64.
        image_channels: int. Defaults to 3.
        context_frames: int. Frames that condition the prediction. Defaults to 2.
        likelihood: str. One of `elbo.LIKELIHOODS`. Defaults to "l1".
        beta: float. Final KL weight. Defaults to 1.0.
        beta_warmup_steps: int. Steps over which beta rises from 0. Defaults to 0.
        seed: int or None. Seed of the latent noise (None: a random one). Defaults to 0.
        action_dim: int. Size of the action that conditions each step; 0 takes none.
            Defaults to 0.

    Call arguments:
        inputs: the video, float `[B, T, H, W, C]` in [0, 1], T > context_frames; with
            `action_dim > 0` the dict `{"video": ..., "actions": float [B, >= T - 1, A]}`.
        training: bool.
        noise: None, or the latent noise of the pass (`draw_noise`); None draws it from
            the model's `noise_seed`.

    Returns:
        dict of per-video ELBO terms, each float32 `[B]`: `reconstruction` and `kl_level_{l}`.
    """

    # The first frame whose reconstruction the loss counts: the hierarchy's loss starts at
    # the first predicted frame, SVG-LP's at frame 1 (its context frames too).
    first_target_frame = None

    def __init__(
        self,
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
        # must not be rounded to bfloat16 (the encoders cast their own input).
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.image_size = image_size
        self.image_channels = image_channels
        self.context_frames = context_frames
        self.likelihood = likelihood
        self.beta = beta
        self.beta_warmup_steps = beta_warmup_steps
        self.seed = seed
        self.action_dim = action_dim
        self._check_settings()
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

    def _check_settings(self):
        elbo.check_likelihood(self.likelihood)
        if self.context_frames < 1:
            raise ValueError(f"context_frames must be >= 1, got {self.context_frames}.")
        if isinstance(self.action_dim, bool) or not (
            isinstance(self.action_dim, int) and self.action_dim >= 0
        ):
            raise ValueError(f"action_dim must be an int >= 0, got {self.action_dim!r}.")

    def _make_trackers(self):
        """The ELBO's and the optimizer's trackers; a subclass calls it once its levels exist."""
        self.trackers = {
            name: keras.metrics.Mean(name=name)
            for name in ["loss", "neg_elbo", "reconstruction"]
            + [f"kl_level_{level}" for level in range(self.num_latent_levels)]
            + ["beta", "learning_rate", "gradient_norm"]
        }
        # Steps skipped for a NaN/Inf loss or gradient (`track_update`), per log interval.
        self.trackers["nonfinite_steps"] = keras.metrics.Sum(name="nonfinite_steps")

    # -- what a model supplies -----------------------------------------------------------

    @property
    def latent_shapes(self):
        """List per level of the shape of its latent at one step: `(R, R, Z)` or `(Z,)`."""
        raise NotImplementedError

    def _training_pass(self, video, actions=None, noise=None, seed=None, training=False):
        """`(logits [B, T - first_target_frame, H, W, C], {"posterior", "prior"})`, each of
        the latter a list per level of `(mean, scale)`, `[B, T - first_target_frame, *shape]`.
        `noise`: `draw_noise`'s list, or None: drawn from `seed` (None: `noise_seed`)."""
        raise NotImplementedError

    def start_generation(self, context, num_samples=1, seed=None):
        raise NotImplementedError

    def generation_step(self, state, noise, actions=None):
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------

    @property
    def num_latent_levels(self):
        return len(self.latent_shapes)

    @property
    def latent_resolutions(self):
        """Spatial size R of each level's latent (1 for a vector)."""
        return [shape[0] if len(shape) == 3 else 1 for shape in self.latent_shapes]

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

    def draw_noise(self, batch_size, num_frames, batch_offset=0, global_batch_size=None):
        """The latent noise of a training pass, from the model's `noise_seed` (advancing it).

        Under a distribution strategy the rows `batch_offset ...` of the global batch's
        noise: each replica its own, the single-device draw of the same global batch
        together (`distributions.draw_standard_normal`).

        Args:
            batch_size: int or int scalar. This replica's videos.
            num_frames: int. Frames of the video (`T`).
            batch_offset, global_batch_size: int or int scalar. This replica's first row
                and the rows over all replicas (None: `batch_size`).

        Returns:
            list per level of float32 `[batch_size, T - first_target_frame, *latent_shape]`.
        """
        return self._noise(batch_size, num_frames, self.noise_seed, global_batch_size, batch_offset)

    def _noise(self, batch_size, num_frames, seed, global_batch_size=None, batch_offset=0):
        steps = num_frames - self.first_target_frame
        shapes = [(batch_size, steps) + tuple(shape) for shape in self.latent_shapes]
        return distributions.draw_standard_normal(shapes, seed, global_batch_size, batch_offset)

    def _checked_pass(self, inputs, noise=None, training=False):
        video, actions = split_batch(inputs)
        self.check_video(video)
        self.check_actions(actions, video.shape[1] - 1)
        return video, self._training_pass(video, actions, noise, training=training)

    def call(self, inputs, training=False, noise=None):
        video, (logits, latents) = self._checked_pass(inputs, noise, training)
        return elbo.elbo_terms(
            self.likelihood,
            logits,
            video[:, self.first_target_frame :],
            latents["posterior"],
            latents["prior"],
        )

    def latent_distributions(self, inputs):
        """Posterior and prior of every level on a video (teacher forcing, posterior samples).

        Args:
            inputs: as `call`'s (a video, or a dict with actions).

        Returns:
            `(posterior, prior)`: lists per level of `(mean, scale)`, each
            float32 `[B, T - first_target_frame, *latent_shape]`.
        """
        _, (_, latents) = self._checked_pass(inputs)
        return latents["posterior"], latents["prior"]

    def reconstruct(self, inputs):
        """Posterior reconstructions of the future frames, `[B, T - context, H, W, C]`."""
        _, (logits, _) = self._checked_pass(inputs)
        return elbo.frame_mean(logits[:, self.context_frames - self.first_target_frame :])

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
        for level in range(self.num_latent_levels):
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
