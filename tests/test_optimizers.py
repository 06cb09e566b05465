"""AdamL2 against torch.optim.Adam's algorithm (coupled L2 weight decay), written in numpy."""

import keras
import numpy as np
import pytest

from vrnn_tf.optimizers import AdamL2


def torch_adam_reference(weights, gradients, lr, beta_1, beta_2, epsilon, weight_decay):
    """PyTorch's documented Adam (torch.optim.Adam, amsgrad=False, maximize=False).

    Args:
        weights: float64 array, the initial parameter.
        gradients: list of float64 arrays, the loss gradient at each step.
        lr: float or list of floats (one per step).

    Returns:
        The parameter after every step, float64.
    """
    theta = weights.astype(np.float64)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    rates = lr if isinstance(lr, (list, tuple)) else [lr] * len(gradients)
    for t, (g, gamma) in enumerate(zip(gradients, rates), start=1):
        g = g + weight_decay * theta
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g * g
        m_hat = m / (1 - beta_1**t)
        v_hat = v / (1 - beta_2**t)
        theta = theta - gamma * m_hat / (np.sqrt(v_hat) + epsilon)
    return theta


def fixed_problem(seed=0, steps=4):
    rng = np.random.default_rng(seed)
    # Gradients of very different sizes, so that epsilon and the decay term both matter.
    weights = rng.normal(size=(3, 5)) * np.array([1e-3, 1.0, 30.0])[:, None]
    gradients = [
        rng.normal(size=(3, 5)) * np.array([1e-5, 1e-2, 1.0])[:, None] for _ in range(steps)
    ]
    return weights, gradients


def run_keras(optimizer, weights, gradients):
    variable = keras.Variable(weights.astype("float32"))
    optimizer.build([variable])
    for g in gradients:
        optimizer.apply([keras.ops.convert_to_tensor(g.astype("float32"))], [variable])
    return np.asarray(variable.numpy(), np.float64)


@pytest.mark.parametrize("weight_decay", [0.0, 1e-4, 0.5])
def test_matches_torch_adam_with_weight_decay(weight_decay):
    weights, gradients = fixed_problem()
    settings = dict(beta_1=0.5, beta_2=0.9, epsilon=1e-8)
    expected = torch_adam_reference(weights, gradients, 1e-3, weight_decay=weight_decay, **settings)
    optimizer = AdamL2(learning_rate=1e-3, l2_weight_decay=weight_decay, **settings)
    got = run_keras(optimizer, weights, gradients)
    # float32 against float64: relative to the distance moved and to the weight itself.
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6 * np.abs(weights).max())
    moved = np.abs(got - weights)
    assert (moved > 0).all()


def test_coupled_decay_is_not_keras_decoupled_decay():
    # Same weights, zero gradient: coupled decay moves w by Adam's normalised step
    # (lr per weight, whatever its size), decoupled by lr * wd * w.
    weights = np.array([[10.0, -0.5, 2.0]])
    zero = [np.zeros_like(weights)]
    coupled = run_keras(AdamL2(learning_rate=1e-2, l2_weight_decay=0.1), weights, zero)
    adamw = keras.optimizers.AdamW(learning_rate=1e-2, weight_decay=0.1)
    decoupled = run_keras(adamw, weights, zero)
    np.testing.assert_allclose(weights - coupled, 1e-2 * np.sign(weights), rtol=1e-4)
    np.testing.assert_allclose(weights - decoupled, 1e-3 * weights, rtol=1e-3)


def test_keras_weight_decay_argument_is_refused():
    with pytest.raises(ValueError, match="decoupled"):
        AdamL2(weight_decay=1e-4)


def test_config_round_trip():
    optimizer = AdamL2(learning_rate=2e-4, beta_1=0.5, beta_2=0.9, l2_weight_decay=1e-4)
    clone = AdamL2.from_config(optimizer.get_config())
    assert clone.get_config() == optimizer.get_config()
