"""Audio pipeline: sound files in and out (`io`), log-mel spectrograms (`mel`) and their inversion
back to audio by Griffin-Lim (`griffinlim`)."""
