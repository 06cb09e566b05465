"""Keras's training hooks for vrnn_tf's models: this backend's train step, bound to a model.

The model core (`vrnn_tf.model`) defines the passes, the objective and sampling, and imports
no backend's training code. Keras trains a model through its `train_step` and `test_step`;
`trainable(cls)` is `cls` with the steps of the backend Keras runs on
(`vrnn_tf.backends.tf_train_step`, `vrnn_tf.backends.jax_train_step`).
`vrnn_tf.configurables.build_model` builds such a model.
"""

import functools

import keras

# TensorFlow only where it is the backend: the JAX GPU box has none.
if keras.backend.backend() == "tensorflow":
    from vrnn_tf.backends import tf_train_step
if keras.backend.backend() == "jax":
    from vrnn_tf.backends import jax_train_step


class TrainSteps:
    """Mixin of a `keras.Model` that trains with vrnn_tf's train steps (module doc).

    `compile` takes `replica_jit_compile` as well (bool): the TensorFlow step compiles each
    replica's forward and backward pass with XLA, what
    `vrnn_tf.backends.distribute.plan_xla` chooses under a mirrored strategy, where Keras's
    own `jit_compile` cannot place the replicas' programs.
    """

    replica_jit_compile = False

    def compile(self, *args, replica_jit_compile=False, **kwargs):
        super().compile(*args, **kwargs)
        self.replica_jit_compile = replica_jit_compile
        # Create the optimizer's slots now: made inside the first traced
        # train step, they make TensorFlow trace the step twice.
        if self.optimizer is not None:
            self.optimizer.build(self.trainable_variables)

    def train_step(self, *args):
        if keras.backend.backend() == "tensorflow":
            # fit() passes the batch; train_on_batch() passes (batch, None, None).
            batch, _, _ = keras.utils.unpack_x_y_sample_weight(args[0])
            return tf_train_step.train_step(self, batch)
        return jax_train_step.train_step(self, *args)

    def test_step(self, *args):
        logs = super().test_step(*args)
        if keras.backend.backend() == "tensorflow":
            logs = tf_train_step.reducible_logs(logs)
        return logs


@functools.cache
def trainable(model_class):
    """`model_class` (a `keras.Model`) with `TrainSteps`: the same name, config and weights."""
    cls = type(
        model_class.__name__,
        (TrainSteps, model_class),
        {"__doc__": model_class.__doc__, "__module__": __name__},
    )
    return keras.saving.register_keras_serializable(package="vrnn_tf.trainable")(cls)
