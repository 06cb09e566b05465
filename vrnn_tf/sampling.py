"""Ancestral sampling: the one loop behind `generate`, `Sampler` and the SavedModel's `predict`.

`sample_futures` starts from the context (the model's `start_generation`)
and runs its `generation_step` once per predicted frame. The
loop is the backend's own, so that it compiles as one loop rather than being
unrolled: a `lax.scan` on JAX, a `tf.while_loop` on TensorFlow (eager, in a
`tf.function` and in the SavedModel, whose `num_future` is a tensor), a
Python loop elsewhere. Each step draws its latent noise inside the loop,
statelessly from `(seed, step)`, so memory does not grow with the number of
frames (the noise of a 28-frame BAIR future alone is 18 MB).

`Sampler` compiles the whole future once for a fixed number of frames and
futures per context: `jax.jit` with the weights as arguments (not baked into
the program as constants), or a `tf.function` (XLA where a GPU is present).
"""

import keras
import numpy as np
from keras import ops

from vrnn_tf import devices
from vrnn_tf import distributions


def derive_seed(*parts):
    """An int seed in [0, 2**31 - 1) from ints, e.g. `(seed, chunk, call)`; mixed, not summed."""
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0] % (2**31 - 1))


def sample_futures(model, context, num_future, num_samples=1, seed=None, actions=None):
    """Samples `num_samples` futures per context from the prior, one step per frame.

    Args:
        model: a built `VideoPredictionModel`.
        context: float `[B, >= context_frames, H, W, C]` in [0, 1]; its first
            `context_frames` frames are read.
        num_future: int (or int32 scalar tensor on TensorFlow). Frames to predict.
        num_samples: int (or int32 scalar tensor on TensorFlow). Futures per context.
        seed: int in [0, 2**31 - 1), integer scalar tensor, `keras.random.SeedGenerator`
            (one draw from it seeds the whole call) or None (the model's `noise_seed`).
        actions: None, or (an action model) float `[B, >= context_frames + num_future - 1,
            action_dim]`: action t is taken at frame t; step t reads action
            `context_frames - 1 + t`, the same for every sample of a context.

    Returns:
        float32 `[B, num_samples, num_future, H, W, C]` in [0, 1].
    """
    # A tensor `num_future` (the SavedModel's) is checked by the caller.
    transitions = model.context_frames + num_future - 1 if isinstance(num_future, int) else None
    model.check_actions(actions, transitions, "the actions")
    if seed is None or isinstance(seed, keras.random.SeedGenerator):
        generator = model.noise_seed if seed is None else seed
        seed = keras.random.randint((), 0, 2**31 - 1, seed=generator, dtype="int32")
    state = model.start_generation(context, num_samples, seed)
    rows = ops.shape(context)[0] * num_samples
    shapes = [(rows, 1) + tuple(shape) for shape in model.latent_shapes]

    step_actions = None
    if actions is not None:  # time-major [F, B * S, 1, A], sample-major within a context
        first = model.context_frames - 1
        step_actions = ops.repeat(actions[:, first : first + num_future], num_samples, axis=0)
        step_actions = ops.moveaxis(ops.cast(step_actions, "float32"), 1, 0)[:, :, None]

    def step(t, state):
        noise = distributions.draw_step_noise(shapes, seed, t)
        if step_actions is None:
            return model.generation_step(state, noise)
        return model.generation_step(state, noise, ops.take(step_actions, t, axis=0))

    frames = _frame_loop(step, state, num_future)  # [F, B * S, H, W, C]
    frames = ops.moveaxis(frames, 0, 1)  # -> [B * S, F, H, W, C]
    size, channels = model.image_size, model.image_channels
    return ops.reshape(frames, (-1, num_samples, num_future, size, size, channels))


def sample_once(model, context, num_future, num_samples, seed, actions=None):
    """`sample_futures` for a single call, the fastest way: compiled on JAX, where eager
    ops compile one by one; eager elsewhere, where one call does not repay a trace.

    Args:
        model, context, num_future, num_samples, actions: as in `sample_futures`.
        seed: int in [0, 2**31 - 1).

    Returns:
        float32 numpy `[B, num_samples, num_future, H, W, C]`.
    """
    if keras.backend.backend() == "jax":
        futures = Sampler(model, num_future, num_samples)(context, seed, actions)
    else:
        futures = sample_futures(model, context, num_future, num_samples, seed, actions)
    return np.asarray(ops.convert_to_numpy(futures))


def _frame_loop(step, state, num_future):
    """Runs `step(t, state) -> (frame [rows, 1, H, W, C], state)` for t = 0 .. num_future - 1.

    Returns:
        The frames, float32 `[num_future, rows, H, W, C]`.
    """
    backend = keras.backend.backend()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        def body(state, t):
            frame, state = step(t, state)
            return state, frame[:, 0]

        return jax.lax.scan(body, state, jnp.arange(num_future, dtype="int32"))[1]
    if backend == "tensorflow":
        import tensorflow as tf

        def tf_body(t, state, frames):
            frame, state = step(t, state)
            return t + 1, state, frames.write(t, frame[:, 0])

        frames = tf.TensorArray(tf.float32, size=num_future)
        _, _, frames = tf.while_loop(
            lambda t, state, frames: t < num_future, tf_body, (tf.constant(0), state, frames)
        )
        return frames.stack()
    frames = []
    for t in range(num_future):
        frame, state = step(t, state)
        frames.append(frame[:, 0])
    return ops.stack(frames)


class Sampler:
    """Draws `num_samples` futures of `num_future` frames per context, compiled.

    Each call without a seed draws new noise (seeded by `seed` and the call's
    index); a call with a seed is a function of it. One compiled program serves
    every call with the same context shape: the seed is an argument.

    Args:
        model: a built `VideoPredictionModel`.
        num_future: int. Frames to predict.
        num_samples: int. Futures per context.
        seed: int.

    Call arguments:
        context: float32 `[B, context_frames, H, W, C]` in [0, 1].
        seed: int in [0, 2**31 - 1) or None.
        actions: None, or (an action model) float `[B, >= context_frames + num_future - 1,
            action_dim]`, as `sample_futures` reads them.

    Returns:
        float32 `[B, num_samples, num_future, H, W, C]` in [0, 1] (a backend tensor).
    """

    def __init__(self, model, num_future, num_samples=1, seed=0):
        self.model = model
        self.num_future = num_future
        self.num_samples = num_samples
        self.seed = seed
        self.calls = 0
        backend = keras.backend.backend()
        if backend == "jax":
            import jax

            self._run = jax.jit(self._stateless_sample)
        elif backend == "tensorflow":
            import tensorflow as tf

            self._run = tf.function(self._sample, jit_compile=devices.accelerator_present())
        else:
            self._run = self._sample

    def __call__(self, context, seed=None, actions=None):
        if seed is None:
            seed = derive_seed(self.seed, self.calls)
            self.calls += 1
        context = np.asarray(context, "float32")
        # Checked here, with the shapes known, not inside the compiled program.
        self.model.check_actions(
            actions, self.model.context_frames + self.num_future - 1, "the actions"
        )
        if actions is not None:
            actions = np.asarray(actions, "float32")
        seed = ops.convert_to_tensor(np.int32(seed))
        if keras.backend.backend() == "jax":
            return self._run([v.value for v in self.model.variables], context, seed, actions)
        return self._run(context, seed, actions)

    def lower(self, context, actions=None):
        """JAX: the program for contexts (and actions) shaped like these, lowered, not run
        (`.compile()` gives XLA's `memory_analysis()` and `cost_analysis()`)."""
        if keras.backend.backend() != "jax":
            raise NotImplementedError("Sampler.lower needs the JAX backend.")
        values = [v.value for v in self.model.variables]
        if actions is not None:
            actions = np.asarray(actions, "float32")
        return self._run.lower(values, np.asarray(context, "float32"), np.int32(0), actions)

    def _sample(self, context, seed, actions=None):
        return sample_futures(self.model, context, self.num_future, self.num_samples, seed, actions)

    def _stateless_sample(self, values, context, seed, actions=None):
        # The weights are this program's inputs, not baked-in constants.
        with keras.StatelessScope(state_mapping=list(zip(self.model.variables, values))):
            return self._sample(context, seed, actions)
