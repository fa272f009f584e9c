"""Helpers shared by the tests: running the CLI tools, synthetic speech."""
