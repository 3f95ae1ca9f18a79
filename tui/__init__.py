"""distill terminal UI (a Textual app that talks to the engine over OSC)."""
