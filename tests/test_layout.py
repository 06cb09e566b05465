"""The layout's rules that import-linter's contracts (`make lint`) do not state: no import cycle
between any two modules, a light `import vrnn_tf`, and no function longer than a screen."""

import ast
import os
import subprocess
import sys

import grimp

from conftest import REPO
from conftest import cli_env

PACKAGES = ("vrnn_tf", "data_prep")
MAX_BODY_LINES = 60


def strongly_connected_components(graph):
    """Tarjan's algorithm over `graph` (`{node: set of nodes}`): the lists of nodes that
    reach each other, one per component."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph[node]:
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            components.append(component)

    for node in graph:
        if node not in index:
            visit(node)
    return components


def test_strongly_connected_components_finds_a_cycle_and_nothing_else():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    components = sorted(sorted(c) for c in strongly_connected_components(graph))
    assert components == [["a", "b", "c"], ["d"], ["e"]]


def test_no_module_imports_itself_back():
    # grimp counts every import, those inside functions too.
    graph = grimp.build_graph(*PACKAGES)
    imports = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    # A package's __init__ is the package module itself: an import of a submodule from it
    # is not a cycle unless the submodule imports the package back.
    cycles = [c for c in strongly_connected_components(imports) if len(c) > 1]
    cycles += [[m] for m, imported in imports.items() if m in imported]
    assert not cycles, f"import cycles: {cycles}"


def test_importing_vrnn_tf_loads_neither_tensorflow_nor_the_training_loop():
    code = (
        "import sys, vrnn_tf, vrnn_tf.layers\n"
        "print(sorted(m for m in ('tensorflow', 'vrnn_tf.training.loop') if m in sys.modules))\n"
        "assert vrnn_tf.HierarchicalVRNN.__name__ == 'HierarchicalVRNN'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=cli_env(KERAS_BACKEND="jax", JAX_PLATFORMS="cpu"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def long_functions(root):
    """`(body lines, "path:line name")` of every function body in `root` longer than the
    limit (the docstring excluded)."""
    found = []
    for folder, _, names in os.walk(root):
        for name in sorted(n for n in names if n.endswith(".py")):
            path = os.path.join(folder, name)
            for node in ast.walk(ast.parse(open(path).read())):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                body = node.body
                if ast.get_docstring(node) is not None:
                    body = body[1:]
                lines = body[-1].end_lineno - body[0].lineno + 1 if body else 0
                if lines > MAX_BODY_LINES:
                    found.append(
                        (lines, f"{os.path.relpath(path, REPO)}:{node.lineno} {node.name}")
                    )
    return found


def test_no_function_body_is_longer_than_a_screen():
    for package in PACKAGES:
        assert long_functions(os.path.join(REPO, package)) == [], package
