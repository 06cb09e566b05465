"""The TensorFlow train step: one ELBO update, correct under tf.distribute."""

import tensorflow as tf

from vrnn_tf import elbo


def train_step(model, video):
    """One AdamW step on the negative ELBO of a batch of videos.

    Under `MirroredStrategy` each replica sees `B` of the `B * replicas`
    videos: the loss is divided by the global batch
    (`tf.nn.compute_average_loss`), so the summed gradients equal the
    single-device gradient of the same global batch, and the latent noise is
    this replica's rows of the global batch's noise.

    The tracked `gradient_norm` is the global L2 norm of the gradient of
    the mean loss over this replica's videos (exact on one device); under
    several replicas it is averaged over replicas rather than taken of the
    all-reduced gradient, which would cost a second all-reduce per step.

    Returns:
        dict of the trackers' values (loss, neg_elbo, nll, kl_level_*, beta,
        learning_rate, gradient_norm).
    """
    replica = tf.distribute.get_replica_context()
    batch = tf.shape(video)[0]
    with tf.GradientTape() as tape:
        terms = model(
            video,
            training=True,
            batch_offset=replica.replica_id_in_sync_group * batch,
            global_batch_size=replica.num_replicas_in_sync * batch,
        )
        beta = model.current_beta()
        loss = elbo.negative_elbo(terms, beta)
        mean_loss = tf.nn.compute_average_loss(loss)
    gradients = tape.gradient(mean_loss, model.trainable_variables)
    # mean_loss divides by the global batch: rescale to this replica's mean.
    gradient_norm = tf.linalg.global_norm(gradients) * replica.num_replicas_in_sync
    model.optimizer.apply(gradients, model.trainable_variables)
    model.training_step.assign_add(1)
    model.update_trackers(terms, loss, beta, model.optimizer.learning_rate, gradient_norm)
    return reducible_logs({name: tracker.result() for name, tracker in model.trackers.items()})


def reducible_logs(logs):
    """Scalar logs as `[1]` under multi-worker training, scalars elsewhere.

    Keras reduces a step's per-replica logs across workers with
    `strategy.reduce("MEAN", value, axis=0)`, which fails on scalars; the
    trackers' results are already aggregated over all replicas, so giving
    them a batch axis of one changes nothing but the shape.
    """
    strategy = tf.distribute.get_strategy()
    in_multi_worker_mode = getattr(strategy.extended, "_in_multi_worker_mode", None)
    if in_multi_worker_mode is None or not in_multi_worker_mode():
        return logs
    return {name: tf.reshape(value, [1]) for name, value in logs.items()}
