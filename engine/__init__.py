"""distill engine: audio pipeline, RVQ-VAE, training, model library and the resident engine."""

__version__ = "0.1.0"
