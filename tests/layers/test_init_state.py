import numpy as np

from tests.layers import layer_testing
from vrnn_tf.layers import InitialState


def test_shapes_config_precision_and_dependence_on_every_context_frame():
    layer = InitialState(6, norm_groups=2)
    rng = np.random.default_rng(0)
    context = rng.normal(size=(2, 3, 4, 4, 4)).astype("float32")
    (h0, _), _ = layer_testing.check_layer(layer, (context,), ((2, 4, 4, 6), (2, 4, 4, 6)))
    changed = context.copy()
    changed[:, 0] += 1.0  # the first context frame matters too
    assert not np.allclose(np.asarray(layer(changed)[0]), np.asarray(h0))
