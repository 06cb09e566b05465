"""The negative ELBO of the library's models, in one place (paper eq. 5).

    -ELBO(video) = sum_t [ reconstruction(x_t)
                           + beta * sum_l KL(q(z_t^l | ...) || p(z_t^l | ...)) ]

summed over pixels, the predicted time steps and levels, per video. KLs are
analytic, in nats. The `reconstruction` term is what the paper and its
release optimise: "l1" sums |x - mean| (the release's default, paper Tables
1-2), "l2" sums (x - mean)^2 and "bernoulli" is the binary cross-entropy; "mse" is
SVG-LP's loss, the mean of (x - mean)^2 over a frame's pixels, summed over frames.
Only "bernoulli" is a negative log-likelihood in nats; "l1" and "l2" are
negative log-likelihoods of a Laplace of scale 1 / a Gaussian of variance 1/2
up to a constant per pixel (log 2, log(pi)/2), so their "-ELBO" is the paper's
quantity, comparable with the paper's tables but not with other papers' NLLs
(docs/EXPERIMENTS.md, "Units").
"""

from keras import ops

from vrnn_tf import distributions

LIKELIHOODS = ("l1", "l2", "bernoulli", "mse")


def check_likelihood(likelihood):
    if likelihood not in LIKELIHOODS:
        raise ValueError(
            f"Unknown likelihood {likelihood!r}; choose one of {', '.join(LIKELIHOODS)}."
        )


def frame_mean(logits):
    """The likelihood's mean frame in [0, 1] (sigmoid of the renderer's logits)."""
    return ops.sigmoid(ops.cast(logits, "float32"))


def reconstruction_term(likelihood, logits, target):
    """Per-video reconstruction term of the ELBO (see the module docstring for its units).

    Args:
        likelihood: one of `LIKELIHOODS`.
        logits: float `[B, T, H, W, C]`, the renderer's output.
        target: float `[B, T, H, W, C]` in [0, 1].

    Returns:
        float32 `[B]`, summed over time, pixels and channels.
    """
    logits = ops.cast(logits, "float32")
    target = ops.cast(target, "float32")
    if likelihood == "bernoulli":
        # -[x log s(l) + (1 - x) log(1 - s(l))] = softplus(l) - x * l, stably
        per_pixel = ops.softplus(logits) - target * logits
    elif likelihood == "l1":
        per_pixel = ops.abs(ops.sigmoid(logits) - target)
    elif likelihood in ("l2", "mse"):
        per_pixel = ops.square(ops.sigmoid(logits) - target)
    else:
        check_likelihood(likelihood)
    if likelihood == "mse":  # SVG-LP's nn.MSELoss per frame: the mean over its pixels
        return ops.sum(ops.mean(per_pixel, axis=(2, 3, 4)), axis=1)
    return ops.sum(per_pixel, axis=(1, 2, 3, 4))


def kl_per_level(posterior, prior):
    """Per-video KL of each level, summed over time, space and channels.

    Args:
        posterior, prior: lists per level of `(mean, scale)`, each `[B, T, R, R, Z]`
            (or `[B, T, Z]`, a level without space).

    Returns:
        list of float32 `[B]`.
    """
    kls = [
        distributions.gaussian_kl(q_mean, q_scale, p_mean, p_scale)
        for (q_mean, q_scale), (p_mean, p_scale) in zip(posterior, prior)
    ]
    return [ops.sum(kl, axis=tuple(range(1, len(kl.shape)))) for kl in kls]


def elbo_terms(likelihood, logits, target, posterior, prior):
    """The ELBO's terms per video, by name: `reconstruction` and `kl_level_{l}`, each `[B]`."""
    terms = {"reconstruction": reconstruction_term(likelihood, logits, target)}
    for level, kl in enumerate(kl_per_level(posterior, prior)):
        terms[f"kl_level_{level}"] = kl
    return terms


def total_kl(terms):
    """Sum of the `kl_level_*` terms, `[B]`."""
    return sum(value for name, value in terms.items() if name.startswith("kl_level_"))


def negative_elbo(terms, beta=1.0):
    """`reconstruction + beta * KL` per video, `[B]`; beta = 1 is the negative ELBO."""
    return terms["reconstruction"] + beta * total_kl(terms)
