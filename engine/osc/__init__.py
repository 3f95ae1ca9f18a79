"""The OSC adapter: `OscServer` serves an `Engine` over UDP; `routes.ROUTES` is the table of addresses."""
