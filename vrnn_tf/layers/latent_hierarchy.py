"""The hierarchy of latent levels, coarse to fine, with dense connectivity."""

import keras
from keras import ops

from vrnn_tf import distributions
from vrnn_tf.layers.latent_level import LatentLevel
from vrnn_tf.layers.ops_util import BuildsOnFirstCall
from vrnn_tf.layers.ops_util import upsample_nearest

CONNECTIVITIES = ("dense", "chain", "none")


@keras.saving.register_keras_serializable(package="vrnn_tf")
class LatentHierarchy(BuildsOnFirstCall, keras.layers.Layer):
    """L levels of per-step latents, each with a prior and a posterior network.

    Level l lives at `resolutions[l]` (coarsest first). Its prior reads the
    encoder features of x_{t-1}, its posterior those of x_t, both at its
    resolution, and both read samples of coarser levels at the same step,
    upsampled by nearest neighbour, as `connectivity` says:

    - "dense" (paper §4.1, Fig. 2): the samples of every coarser level.
    - "chain": the sample of the next coarser level only, so that each level
      is conditioned on the ones above it through a chain (paper eqs. 3-4
      without the dense skip links): our reading of the paper's models
      "without dense connectivity" (Table 2, "Naive" and "BW").
    - "none": no level reads another (independent levels sharing only the
      frames they read).

    Args:
        resolutions: tuple of int. Spatial size of each level, coarsest first.
            Defaults to `(1, 8, 32)`.
        latent_channels: tuple of int. Channels of z per level. Defaults to
            `(10, 512, 128)`.
        hidden_channels: tuple of int. ConvLSTM channels per level. Defaults
            to `(512, 512, 128)`.
        connectivity: str. "dense", "chain" or "none" (above). Defaults to "dense".
        lstm_norm_groups: int. GroupNorm groups inside ConvLSTMs. Defaults to 16.
        init_norm_groups: int. GroupNorm groups of initial-state nets. Defaults to 4.
    """

    def __init__(
        self,
        resolutions=(1, 8, 32),
        latent_channels=(10, 512, 128),
        hidden_channels=(512, 512, 128),
        connectivity="dense",
        lstm_norm_groups=16,
        init_norm_groups=4,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.resolutions = tuple(resolutions)
        self.latent_channels = tuple(latent_channels)
        self.hidden_channels = tuple(hidden_channels)
        if not (len(self.resolutions) == len(self.latent_channels) == len(self.hidden_channels)):
            raise ValueError(
                "LatentHierarchy: resolutions, latent_channels and hidden_channels "
                f"must have one entry per level; got {self.resolutions}, "
                f"{self.latent_channels}, {self.hidden_channels}."
            )
        if any(
            fine <= coarse or fine % coarse
            for coarse, fine in zip(self.resolutions, self.resolutions[1:])
        ):
            raise ValueError(
                "LatentHierarchy: resolutions must go from coarse to fine, each "
                f"dividing the next and none repeated; got {self.resolutions}."
            )
        if connectivity not in CONNECTIVITIES:
            raise ValueError(
                f"LatentHierarchy: connectivity {connectivity!r}; choose one of "
                f"{', '.join(CONNECTIVITIES)}."
            )
        self.connectivity = connectivity
        self.lstm_norm_groups = lstm_norm_groups
        self.init_norm_groups = init_norm_groups
        level = dict(
            lstm_norm_groups=lstm_norm_groups,
            init_norm_groups=init_norm_groups,
            dtype=self.dtype_policy,
        )
        self.prior_levels = [
            LatentLevel(z, h, name=f"prior_level_{i}", **level)
            for i, (z, h) in enumerate(zip(self.latent_channels, self.hidden_channels))
        ]
        self.posterior_levels = [
            LatentLevel(z, h, name=f"posterior_level_{i}", **level)
            for i, (z, h) in enumerate(zip(self.latent_channels, self.hidden_channels))
        ]

    @property
    def num_levels(self):
        return len(self.resolutions)

    def initial_states(self, context_features, posterior=True):
        """Initial ConvLSTM states from the context.

        Args:
            context_features: list, per level, of float `[B, num_context, R, R, C]`.
            posterior: bool. Also make the posterior's states (not needed to sample).

        Returns:
            dict with `"prior"` (and `"posterior"`): lists of `(h0, c0)` per level.
        """
        states = {
            "prior": [
                level.initial_state(x) for level, x in zip(self.prior_levels, context_features)
            ]
        }
        if posterior:
            states["posterior"] = [
                level.initial_state(x) for level, x in zip(self.posterior_levels, context_features)
            ]
        return states

    def coarser_levels(self, level):
        """The levels whose samples `level` reads, by `connectivity`."""
        if self.connectivity == "dense":
            return list(range(level))
        if self.connectivity == "chain":
            return [level - 1] if level else []
        return []

    def _with_coarser_samples(self, features, samples, level):
        """Concatenates the upsampled samples of `coarser_levels(level)` to `features`."""
        read = self.coarser_levels(level)
        if not read:
            return features
        resolution = self.resolutions[level]
        coarser = [
            ops.cast(
                upsample_nearest(samples[k], resolution // self.resolutions[k]), features.dtype
            )
            for k in read
        ]
        return ops.concatenate([features] + coarser, axis=-1)

    def call(self, prior_features, states, noise, posterior_features=None):
        """Runs every level over T steps, coarse to fine.

        With `posterior_features` (training) the samples come from the
        posterior and each prior is evaluated at the posterior samples of the
        coarser levels, as the ELBO of paper eq. 5 requires. Without them
        (generation) the samples come from the prior.

        Args:
            prior_features: list, per level, of float `[B, T, R, R, C]`: x_{t-1}'s.
            states: dict from `initial_states` (or a previous call).
            noise: list, per level, of float `[B, T, R, R, latent_channels]`, N(0, 1).
            posterior_features: None, or list per level of x_t's features.

        Returns:
            dict with `samples` (list per level of z `[B, T, R, R, Z]`),
            `prior` and `posterior` (lists of `(mean, scale)`; posterior empty
            when sampling from the prior) and `states`.
        """
        samples, prior, posterior = [], [], []
        new_states = {"prior": [], "posterior": []}
        for level in range(self.num_levels):
            prior_in = self._with_coarser_samples(prior_features[level], samples, level)
            p_mean, p_scale, p_state = self.prior_levels[level](prior_in, states["prior"][level])
            prior.append((p_mean, p_scale))
            new_states["prior"].append(p_state)
            if posterior_features is None:
                samples.append(distributions.sample_gaussian(p_mean, p_scale, noise[level]))
                continue
            posterior_in = self._with_coarser_samples(posterior_features[level], samples, level)
            q_mean, q_scale, q_state = self.posterior_levels[level](
                posterior_in, states["posterior"][level]
            )
            posterior.append((q_mean, q_scale))
            new_states["posterior"].append(q_state)
            samples.append(distributions.sample_gaussian(q_mean, q_scale, noise[level]))
        return dict(samples=samples, prior=prior, posterior=posterior, states=new_states)

    def get_config(self):
        config = super().get_config()
        config.update(
            resolutions=self.resolutions,
            latent_channels=self.latent_channels,
            hidden_channels=self.hidden_channels,
            connectivity=self.connectivity,
            lstm_norm_groups=self.lstm_norm_groups,
            init_norm_groups=self.init_norm_groups,
        )
        return config
