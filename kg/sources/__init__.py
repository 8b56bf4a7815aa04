"""Reading source files into raw tables (text cells), before any mapping is applied."""
