"""Code grids (CODE-01..09): a sound as rows of quantizer levels by columns of time, edited and decoded.

`grid` (the value and its JSON file), `ops` (pure edits: set, swap, copy, blend), `slots` (undo/redo and the
thread-safe named slots of the resident engine), `codec` (audio <-> grid, codebook previews), `measure`
(the blend-smoothness measurement).
"""
