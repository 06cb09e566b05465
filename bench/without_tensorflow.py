"""Runs a script or module with every `import tensorflow` failing, as on the GPU box (which has
no TensorFlow): a run on a machine that has it fails where the box would.

    python bench/without_tensorflow.py PATH.py ARGS...
    python bench/without_tensorflow.py -m MODULE ARGS...
    python bench/without_tensorflow.py -c CODE

Keras itself imports TensorFlow where it can (e.g. to serialize a model): blocked, it does
without, as on the box.

`sys.modules["tensorflow"] = None` is how Python spells "not installed" here: `import
tensorflow` raises ModuleNotFoundError and `importlib.util.find_spec("tensorflow")` returns
None, as on the box. (A finder that raises would also break the probes: etils, which JAX's
compilation cache reads through, then fails to read every cache entry.)
"""

import os
import runpy
import sys


def main(argv):
    sys.modules["tensorflow"] = None
    # sys.path[0] as `python ARGS...` would set it, not this script's folder.
    if argv[0] == "-c":
        sys.path[0] = ""
        sys.argv = ["-c"] + argv[2:]
        exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__"})
    elif argv[0] == "-m":
        sys.path[0] = os.getcwd()
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
        sys.argv = argv
        runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
