"""The same model trains with `model.fit` on the JAX backend, from numpy input."""

import json
import os
import subprocess
import sys
import textwrap

from conftest import REPO
from conftest import TINY_MODEL_GIN

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import gin, keras, numpy as np
    assert keras.backend.backend() == "jax", keras.backend.backend()
    import vrnn_tf
    gin.parse_config(sys.argv[1])
    model = vrnn_tf.build_model()
    model.compile(
        optimizer=vrnn_tf.build_optimizer(initial_learning_rate=1e-3, peak_learning_rate=1e-3),
        jit_compile=True,
    )
    before = [np.array(w) for w in model.trainable_weights]
    videos = np.random.default_rng(0).uniform(size=(4, 3, 16, 16, 1)).astype("float32")
    history = model.fit(videos, batch_size=2, epochs=1, verbose=0).history
    moved = max(float(np.abs(np.array(w) - b).max()) for w, b in zip(model.trainable_weights, before))
    print(json.dumps(dict(
        history={k: [float(x) for x in v] for k, v in history.items()},
        steps=int(model.training_step.numpy()),
        moved=moved,
    )))
    """
)


def test_two_training_steps_on_jax():
    env = dict(os.environ, KERAS_BACKEND="jax", PYTHONPATH=REPO, JAX_PLATFORMS="cpu")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, TINY_MODEL_GIN],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["steps"] == 2  # two batches of 2
    assert report["moved"] > 1e-5
    for name in ("loss", "nll", "kl_level_0", "kl_level_1", "beta"):
        assert all(map(lambda v: v == v and abs(v) < 1e9, report["history"][name])), name
