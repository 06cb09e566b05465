"""The JAX train step: Keras's own update, skipped when the loss or a gradient is NaN/Inf.

Keras's JAX trainer calls `model.train_step(state, data)` inside `jax.jit`
with `state = (trainable, non_trainable, optimizer, metrics)` variable
values and expects `(logs, new_state)` back. This step computes the gradient
as Keras does and applies it under `jax.lax.cond` on a traced finiteness
flag (no Python branch under jit): a NaN/Inf step leaves the trainable
values, the optimizer's slots and the metrics as they were. The step
counters advance either way, as on TensorFlow (`vrnn_tf.backends.tf_train_step`):
`training_step` (and the noise seed) and the optimizer's `iterations`, so that
the data position, beta and the learning rate follow batches consumed, not
updates applied.
"""

import jax
import jax.numpy as jnp
import keras


def train_step(model, state, data):
    """One optimizer step on the negative ELBO, or none if it is not finite.

    Args:
        model: a compiled `VideoPredictionModel` (JAX backend).
        state: `(trainable, non_trainable, optimizer, metrics)` lists of arrays.
        data: the batch, `video` float `[B, T, H, W, C]` or the dict of videos and actions
            (`vrnn_tf.data.inputs`), or `(batch, None, None)`.

    Returns:
        `(logs, state)`: the trackers' values (loss, neg_elbo, reconstruction,
        kl_level_*, beta, learning_rate, gradient_norm, nonfinite_steps, as
        `tf_train_step.train_step` returns them) and the new state.
    """
    trainable, non_trainable, optimizer_variables, metrics_variables = state
    x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
    grad_fn = jax.value_and_grad(model.compute_loss_and_updates, has_aux=True)
    (loss, (_, _, new_non_trainable, new_metrics)), gradients = grad_fn(
        trainable,
        non_trainable,
        metrics_variables,
        x,
        y,
        sample_weight,
        training=True,
        optimizer_variables=optimizer_variables,
    )
    finite = jnp.all(
        jnp.stack([jnp.all(jnp.isfinite(g)) for g in jax.tree.leaves([loss, gradients])])
    )
    # A cond, not a `jnp.where` per variable: selecting every weight and slot
    # made XLA's CPU compile of the step 5x slower (37 s -> 179 s, tiny model).
    # A skipped step still advances the optimizer's step counter, which the
    # learning rate follows, as `training_step` (beta) does.
    iterations = _index_of(model.optimizer.iterations, model.optimizer.variables)

    def skip():
        skipped = list(optimizer_variables)
        skipped[iterations] = skipped[iterations] + 1
        return list(trainable), skipped

    trainable, optimizer_variables = jax.lax.cond(
        finite,
        lambda: model.optimizer.stateless_apply(optimizer_variables, gradients, trainable),
        skip,
    )
    metrics_variables = jax.tree.map(
        lambda new, old: jnp.where(finite, new, old), new_metrics, metrics_variables
    )
    # `model.objective` (through compute_loss) fed the ELBO's trackers; the optimizer's
    # side is known only here.
    mapping = list(zip(model.metrics_variables, metrics_variables))
    with keras.StatelessScope(
        state_mapping=mapping + list(zip(model.optimizer.variables, optimizer_variables))
    ) as scope:
        gradient_norm = jnp.sqrt(sum(jnp.sum(jnp.square(g)) for g in gradients))
        model.track_update(
            model.optimizer.learning_rate,
            jnp.where(finite, gradient_norm, 0.0),
            finite.astype("float32"),
        )
        logs = {name: tracker.result() for name, tracker in model.trackers.items()}
    # Trackers this step did not update keep the value they were mapped to.
    updated = [scope.get_current_value(v) for v, _ in mapping]
    metrics_variables = [value if new is None else new for new, (_, value) in zip(updated, mapping)]
    new_state = (trainable, new_non_trainable, optimizer_variables, metrics_variables)
    return logs, new_state


def _index_of(variable, variables):
    return next(i for i, v in enumerate(variables) if v is variable)
