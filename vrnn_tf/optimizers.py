"""Adam with coupled L2 weight decay, as `torch.optim.Adam(..., weight_decay=...)` (paper §5).

The paper trains with "Adam ... and weight decay 1e-4"; its public release
calls `torch.optim.Adam(model.parameters(), lr=..., weight_decay=1e-4)`,
which adds `weight_decay * w` to every gradient before Adam's moments
(L2 regularisation seen through Adam's normalisation). Keras's `AdamW` (and
the `weight_decay` argument of every Keras optimizer) decays decoupled,
`w -= lr * weight_decay * w`, a different method (Loshchilov & Hutter 2019)
whose decay at these learning rates is about a thousandth as strong.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="vrnn_tf")
class AdamL2(keras.optimizers.Optimizer):
    """Adam exactly as PyTorch implements it, with coupled L2 weight decay.

    Per variable w with gradient g, at step t = iterations + 1:

        g = g + l2_weight_decay * w
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g^2
        w = w - lr / (1 - beta_1^t) * m / (sqrt(v) / sqrt(1 - beta_2^t) + epsilon)

    `epsilon` is added after the bias correction of v, as in PyTorch (Keras's
    `Adam` adds it before, its "epsilon hat"). Gradient clipping (`clipnorm`,
    ...) happens before the decay term is added, as with `clip_grad_norm_`
    before `optimizer.step()` in PyTorch.

    Args:
        learning_rate: float or `LearningRateSchedule`.
        beta_1: float. Defaults to 0.9.
        beta_2: float. Defaults to 0.999.
        epsilon: float. Defaults to 1e-8 (PyTorch's).
        l2_weight_decay: float. Coefficient of w added to its gradient. Defaults to 0.
        **kwargs: other `keras.optimizers.Optimizer` arguments (`clipnorm`, `name`, ...),
            except `weight_decay`, the decoupled kind.
    """

    def __init__(
        self,
        learning_rate=1e-3,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        l2_weight_decay=0.0,
        name="adam_l2",
        **kwargs,
    ):
        if kwargs.get("weight_decay"):
            raise ValueError(
                "AdamL2 decays through the gradient (l2_weight_decay); Keras's decoupled "
                "`weight_decay` would decay a second time. Use keras.optimizers.AdamW for that."
            )
        kwargs.pop("weight_decay", None)
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.l2_weight_decay = l2_weight_decay

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        if self.l2_weight_decay:
            gradient = gradient + ops.cast(self.l2_weight_decay, dtype) * variable
        step = ops.cast(self.iterations + 1, dtype)
        bias_correction_1 = 1 - ops.power(ops.cast(self.beta_1, dtype), step)
        bias_correction_2 = 1 - ops.power(ops.cast(self.beta_2, dtype), step)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        self.assign_add(m, (gradient - m) * (1 - self.beta_1))
        self.assign_add(v, (ops.square(gradient) - v) * (1 - self.beta_2))
        denominator = ops.sqrt(v) / ops.sqrt(bias_correction_2) + self.epsilon
        self.assign_sub(variable, lr / bias_correction_1 * m / denominator)

    def get_config(self):
        config = super().get_config()
        config.update(
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
            l2_weight_decay=self.l2_weight_decay,
        )
        return config
