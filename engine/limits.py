"""Limits the engine holds every client to (they travel over OSC, where Pd and Max have 32-bit integers)."""

MAX_SEED = 2**31 - 1  # seeds travel as OSC 'i' (int32)
MAX_TRAIN_MINUTES = 24 * 60
MAX_HISTORY_LIST = 1000  # generations `Engine.generations()` lists at most
