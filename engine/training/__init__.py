"""Training the RVQ-VAE: codebook health, the training loop, checkpoints."""
