"""What every command line of vrnn_tf shares: absl's ``app.run`` with quiet logs by default.

``python -m vrnn_tf.train`` and the installed ``vrnn-train`` run the same ``run()`` of
``vrnn_tf/train.py`` (likewise evaluate, export, predict, analyze_kl; see setup.py). Before
Keras is imported, ``vrnn_tf/__init__.py`` has set TensorFlow's native log level
(``data_prep/tf_logs.py``). Here the Python side follows: absl turns its default verbosity
(WARNING) into INFO when the flag is not given, which shows TensorFlow's Python INFO lines
(SavedModel's renaming of the sampler's captured variables, "Assets written to ...",
MirroredStrategy's devices). Without ``--verbosity`` the level stays WARNING; ``--verbosity=0``
(INFO) or higher shows them, and TensorFlow's native log with them.
"""

from absl import app
from absl import flags
from absl import logging


def run(main):
    """``app.run(main)``, with Python logging at WARNING unless ``--verbosity`` is given."""

    def main_with_quiet_logs(argv):
        if not flags.FLAGS["verbosity"].present:
            logging.set_verbosity(logging.WARNING)
        return main(argv)

    app.run(main_with_quiet_logs)
