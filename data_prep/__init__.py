"""Dataset preparation and input pipelines (the only place that imports TensorFlow for data)."""
