"""Thin resource classes: each method builds a request item and calls the engine."""
