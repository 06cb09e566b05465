"""The README's snippets run: its Python on a tiny model, and every command's flags exist."""

import importlib
import re

import gin
import numpy as np
import pytest
from absl import flags

from vrnn_tf import configurables

from conftest import REPO
from conftest import TINY_MODEL_GIN

README = open(f"{REPO}/README.md").read()
# The paper config's bindings that TINY_MODEL_GIN leaves alone and that do not fit its sizes.
PAPER_BINDINGS_OF_OTHER_SIZES = """
renderer.recurrent = (True, True, True, True)
renderer.norm_groups = 2
latent_hierarchy.init_norm_groups = 1
"""


def snippets(language):
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def commands():
    """`(module, flags)` of every `python -m MODULE ...` line of the README's shell snippets."""
    found = []
    for snippet in snippets("sh"):
        for command in snippet.replace("\\\n", " ").splitlines():
            match = re.search(r"python -m ([\w.]+)(.*)", command)
            if match:
                found.append((match.group(1), set(re.findall(r"--(\w+)", match.group(2)))))
    return found


def test_using_the_model_runs_as_written(monkeypatch):
    (snippet,) = [s for s in snippets("python") if "vrnn_tf.build_model()" in s]
    real_parse = configurables.parse_gin

    def parse_then_shrink(gin_files):  # the paper's config, then a model small enough for a test
        real_parse(gin_files)
        gin.parse_config(TINY_MODEL_GIN + PAPER_BINDINGS_OF_OTHER_SIZES)

    monkeypatch.setattr(configurables, "parse_gin", parse_then_shrink)
    monkeypatch.chdir(REPO)
    rng = np.random.default_rng(0)
    namespace = dict(
        videos=rng.uniform(size=(2, 4, 16, 16, 1)).astype("float32"),
        context=rng.uniform(size=(2, 2, 16, 16, 1)).astype("float32"),
    )
    gin.clear_config()
    try:
        exec(
            compile(snippet.replace("num_samples=100", "num_samples=2"), "README", "exec"),
            namespace,
        )
    finally:
        gin.clear_config()
    assert set(namespace["terms"]) == {"reconstruction", "kl_level_0", "kl_level_1"}
    assert namespace["futures"].shape == (2, 2, 28, 16, 16, 1)


@pytest.mark.parametrize("module", sorted({module for module, _ in commands()}))
def test_every_flag_of_the_readme_commands_exists(module):
    used = set().union(*(flags for name, flags in commands() if name == module))
    # The command's flags as `run` defines them, beside absl's own (--verbosity, ...).
    flag_values = flags.FlagValues()
    importlib.import_module(module).define_flags(flag_values)
    defined = set(flag_values) | set(flags.FLAGS)
    defined |= {f"no{name}" for name in defined}  # --noexport for a boolean --export
    assert "workdir" in defined or "out" in defined, sorted(defined)
    assert used <= defined, f"README uses flags that python -m {module} lacks: {used - defined}"
