"""Runs a script or module with every `import tensorflow` failing, as on the GPU box (which has
no TensorFlow): a run on a machine that has it fails where the box would.

    python bench/without_tensorflow.py PATH.py ARGS...
    python bench/without_tensorflow.py -m MODULE ARGS...
    python bench/without_tensorflow.py -c CODE

Keras itself imports TensorFlow where it can (e.g. to serialize a model): blocked, it does
without, as on the box.
"""

import os
import runpy
import sys


class BlockTensorFlow:
    """A `sys.meta_path` finder that fails every import of `tensorflow` and its submodules."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "tensorflow":
            raise ImportError(f"{name} is blocked: the GPU box has no TensorFlow")
        return None


def main(argv):
    sys.meta_path.insert(0, BlockTensorFlow())
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
