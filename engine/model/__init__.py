"""The RVQ-VAE: configuration, quantizer wrapper, model and loss."""
