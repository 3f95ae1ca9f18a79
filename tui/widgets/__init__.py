"""Widgets the screens share or that are too big to live inside one."""
