"""One screen per task: Library, Train, Codes, Generate, Health (each a mode of the app)."""
