"""Fast ancestral sampling: a compiled `generate` for a fixed number of frames.

`HierarchicalVRNN.generate` runs its time loop in Python, one layer call after
another: right for eager debugging, slow for evaluation (256 contexts x 100
futures x 28 frames on BAIR). `Sampler` compiles the whole future once:

- JAX: one `jax.jit` program; the time loop is a `lax.scan` over
  `HierarchicalVRNN.generation_step` (compiled once, not unrolled 28 times),
  the weights are arguments (not constants baked into the program) and the
  latent noise of each step is drawn inside the loop, so memory does not grow
  with the number of frames.
- TensorFlow: a `tf.function` of `generate` (XLA where a GPU is present).

Both are backend-specific fast paths, like the TF train step; the model's math
is the same `keras.ops` code that `generate` runs.
"""

import keras
import numpy as np


class Sampler:
    """Draws `num_samples` futures of `num_future` frames per context, compiled.

    Each call draws new noise; the sequence of calls is reproducible from `seed`.

    Args:
        model: a built `HierarchicalVRNN`.
        num_future: int. Frames to predict.
        num_samples: int. Futures per context.
        seed: int.

    Call arguments:
        context: float32 `[B, context_frames, H, W, C]` in [0, 1].

    Returns:
        float32 `[B, num_samples, num_future, H, W, C]` in [0, 1] (a backend tensor).
    """

    def __init__(self, model, num_future, num_samples=1, seed=0):
        self.model = model
        self.num_future = num_future
        self.num_samples = num_samples
        backend = keras.backend.backend()
        if backend == "jax":
            import jax

            self._key = jax.random.PRNGKey(seed)
            self._run = jax.jit(self._jax_generate)
        elif backend == "tensorflow":
            import tensorflow as tf

            from vrnn_tf import distribute

            self._seed = keras.random.SeedGenerator(seed)
            self._run = tf.function(
                lambda context: model.generate(context, num_future, num_samples, self._seed),
                jit_compile=distribute.accelerator_present(),
            )
        else:
            self._seed = keras.random.SeedGenerator(seed)
            self._run = lambda context: model.generate(
                context, num_future, num_samples, self._seed
            )

    def __call__(self, context):
        context = np.asarray(context, "float32")
        if keras.backend.backend() != "jax":
            return self._run(context)
        import jax

        self._key, key = jax.random.split(self._key)
        return self._run([v.value for v in self.model.variables], context, key)

    def _jax_generate(self, values, context, key):
        import jax
        import jax.numpy as jnp

        model = self.model
        shapes = [
            (r, r, z)
            for r, z in zip(model.hierarchy.resolutions, model.hierarchy.latent_channels)
        ]
        rows = context.shape[0] * self.num_samples
        # Stateless: the weights are this program's inputs, not baked-in constants.
        with keras.StatelessScope(state_mapping=list(zip(model.variables, values))):
            # A one-step horizon and an int seed: its noise is unused (XLA drops
            # it) and the model's seed generator is left alone.
            state, _ = model.start_generation(context, 1, self.num_samples, seed=0)

            def step(state, step_key):
                keys = jax.random.split(step_key, len(shapes))
                noise = [
                    jax.random.normal(k, (rows, 1) + shape, jnp.float32)
                    for k, shape in zip(keys, shapes)
                ]
                frame, state = model.generation_step(state, noise)
                state = dict(state, previous=model.encode(frame.astype(model.compute_dtype)))
                return state, frame[:, 0]

            _, frames = jax.lax.scan(step, state, jax.random.split(key, self.num_future))
        # [T, B * S, H, W, C] -> [B, S, T, H, W, C]
        frames = jnp.moveaxis(frames, 0, 1)
        return frames.reshape((-1, self.num_samples) + frames.shape[1:])
