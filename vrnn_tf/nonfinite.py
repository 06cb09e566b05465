"""Weights holding NaN or Inf, found before they are written anywhere (checkpoint, export)."""

import numpy as np


class NonFiniteWeightsError(ValueError):
    """A model holds NaN or Inf values: it must not be saved or exported."""


def check_finite(model, what="the model"):
    """Raises `NonFiniteWeightsError` naming the first variable (model or optimizer) with NaN/Inf.

    Call it before writing weights anywhere (checkpoint, export).
    """
    variables = list(model.weights)
    if getattr(model, "optimizer", None) is not None:
        variables += list(model.optimizer.variables)
    for variable in variables:
        value = np.asarray(variable)
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            bad = int(value.size - np.isfinite(value).sum())
            raise NonFiniteWeightsError(
                f"Refusing to write {what}: variable {variable.path} holds {bad} NaN/Inf "
                f"value(s) of {value.size}."
            )
