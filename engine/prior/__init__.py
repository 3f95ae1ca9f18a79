"""The autoregressive prior over the VQ-VAE's code grids: config, model, sampling, training, bundling."""
