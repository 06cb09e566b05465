"""Dataset preparation and input pipelines (the only place that imports TensorFlow for data)."""

from data_prep import tf_logs as _tf_logs

# `python -m data_prep.X` and the vrnn-* commands: TensorFlow's native log is quiet before any
# module imports TensorFlow (data_prep/tf_logs.py); a library import is left as it is.
_tf_logs.quiet_if_command_line()
