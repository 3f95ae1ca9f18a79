"""Generation: a trained prior's code grids -> audio of any length -> sound files, with presets and history.

- `settings`: what a sound is made with (`GenerationSettings`) and how it is written (`ExportSettings`),
  validated once for every caller (CLI, OSC engine, TUI).
- `pipeline`: `generate_audio(loaded, prior, ...)`, the codes -> log-mel -> chunked Griffin-Lim path.
- `files`: `generate_files(...)` and `regenerate(...)`: file names, writing, the history record.

Presets and history live in `engine.store`; the stereo image in `engine.audio.stereo`. See docs/generate.md.
"""
