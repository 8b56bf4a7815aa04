"""Loaders: apply a declarative mapping (loaders/*.yaml) to raw tables, giving typed records."""
