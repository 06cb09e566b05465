"""TensorBoard callbacks on held-out videos: validation ELBO, prior samples, latent activity.

The training scalars (`train/...`: loss, reconstruction, KL per level, beta, learning
rate, gradient norm, steps per second) are written by `vrnn_tf.training.callbacks.ProgressLogger`
into `tensorboard/`. The callbacks here write into the run `tensorboard/eval/`:

    eval/neg_elbo, eval/reconstruction, eval/kl_level_{l}     every `eval_every` steps
    latents/level_{l}/active_channels              every `eval_every` steps
    latents/level_{l}/max_active_channels          (scalars, see kl_analysis)
    latents/level_{l}/channel_kl                   (histogram over channels)
    latents/channel_kl                             (image: bar chart per level)
    samples/prior                                  every `sample_every` steps
        (image: per clip, context | ground truth, then context | each sample)

They run at the end of a Keras "epoch" of `log_every` steps, so their
intervals must be multiples of `log_every`; 0 switches one off.
"""

import os

import keras
from absl import logging

from vrnn_tf import batch_layout
from vrnn_tf.analysis import kl_analysis
from vrnn_tf.analysis import visualize
from vrnn_tf.data import inputs


def check_interval(name, every, log_every):
    """Raises a ValueError unless `every` is 0 (off) or a positive multiple of `log_every`."""
    if every < 0 or every % log_every:
        raise ValueError(
            f"train.{name} ({every}) must be 0 (off) or a multiple of "
            f"train.log_every ({log_every})."
        )


class _EveryNSteps(keras.callbacks.Callback):
    """Calls `write(step)` inside the writer's context when the step count is a multiple
    of `every`."""

    def __init__(self, writer, every):
        super().__init__()
        self.writer = writer
        self.every = every

    def on_epoch_end(self, epoch, logs=None):
        step = int(keras.ops.convert_to_numpy(self.model.training_step))
        if self.every and step % self.every == 0:
            with self.writer.as_default(step=step):
                self.write(step)
            self.writer.flush()

    def write(self, step):
        raise NotImplementedError


class _OnHeldOutVideos(_EveryNSteps):
    """An `_EveryNSteps` whose `write` reads the whole held-out dataset (`self.dataset`).

    Args:
        writer: `tf.summary` writer.
        dataset: finite batched `tf.data.Dataset` of held-out videos.
        every: int. Steps between writes.
    """

    def __init__(self, writer, dataset, every):
        super().__init__(writer, every)
        self.dataset = dataset


class ValidationElbo(_OnHeldOutVideos):
    """Negative ELBO (beta = 1), reconstruction and KL per level, averaged over held-out videos.

    Args:
        writer: `tf.summary` writer.
        dataset: finite batched `tf.data.Dataset` of held-out videos.
        every: int. Steps between evaluations.
    """

    def write(self, step):
        import tensorflow as tf

        results = self.model.evaluate(self.dataset, verbose=0, return_dict=True)
        kls = [name for name in results if name.startswith("kl_level_")]
        for name in ["neg_elbo", "reconstruction"] + kls:
            tf.summary.scalar(f"eval/{name}", results[name])


class LatentActivity(_OnHeldOutVideos):
    """The paper's Fig. 4 on held-out videos: KL per latent channel, active channel counts.

    Args:
        writer: `tf.summary` writer.
        dataset: finite batched `tf.data.Dataset` of held-out videos.
        every: int. Steps between analyses.
    """

    def write(self, step):
        import tensorflow as tf

        mean_kl, _ = kl_analysis.mean_channel_kl(self.model, self.dataset)
        for level, (kl, counts) in enumerate(zip(mean_kl, kl_analysis.activity_counts(mean_kl))):
            tf.summary.scalar(f"latents/level_{level}/active_channels", counts["active"])
            tf.summary.scalar(f"latents/level_{level}/max_active_channels", counts["max_active"])
            tf.summary.histogram(f"latents/level_{level}/channel_kl", kl)
        image = kl_analysis.figure_image(
            mean_kl, self.model.latent_resolutions, title=f"KL per latent channel, step {step}"
        )
        tf.summary.image("latents/channel_kl", image[None])


class PriorSamples(_EveryNSteps):
    """Futures sampled from the prior for fixed held-out clips, as one image.

    Args:
        writer: `tf.summary` writer.
        clips: float `[N, context + F, H, W, C]` in [0, 1], or (an action model) the dict
            of clips and their actions (`vrnn_tf.data.inputs`): futures follow the clips'
            own actions.
        every: int. Steps between images.
        samples_per_clip: int. Prior samples per clip.
        seed: int. The same noise at every step, so images compare across steps.
    """

    def __init__(self, writer, clips, every, samples_per_clip, seed):
        super().__init__(writer, every)
        self.clips, self.actions = batch_layout.split_batch(clips)
        self.samples_per_clip = samples_per_clip
        self.seed = seed

    def write(self, step):
        import tensorflow as tf

        num_context = self.model.context_frames
        context, truth = self.clips[:, :num_context], self.clips[:, num_context:]
        samples = self.model.generate(
            context, truth.shape[1], self.samples_per_clip, seed=self.seed, actions=self.actions
        )
        grid = visualize.sample_grid(context, truth, keras.ops.convert_to_numpy(samples))
        tf.summary.image("samples/prior", grid[None])


def held_out_callbacks(
    workdir, dataset, log_every, eval_every, sample_every, num_clips, samples_per_clip, seed
):
    """The callbacks above, writing into `workdir/tensorboard/eval`.

    Args:
        workdir: str. The training run's folder.
        dataset: finite batched `tf.data.Dataset` of held-out videos.
        log_every, eval_every, sample_every: int. Steps (see the module doc).
        num_clips: int. The first held-out clips, shown with prior samples.
        samples_per_clip, seed: int. For `PriorSamples`.

    Returns:
        list of callbacks; empty without TensorFlow (no TensorBoard writer).
    """
    check_interval("eval_every", eval_every, log_every)
    check_interval("sample_every", sample_every, log_every)
    try:
        import tensorflow as tf
    except ImportError:
        logging.warning("TensorFlow is not installed: no held-out TensorBoard summaries.")
        return []
    writer = tf.summary.create_file_writer(os.path.join(workdir, "tensorboard", "eval"))
    clips = inputs.first_videos(dataset, num_clips)
    return [
        ValidationElbo(writer, dataset, eval_every),
        LatentActivity(writer, dataset, eval_every),
        PriorSamples(writer, clips, sample_every, samples_per_clip, seed),
    ]
