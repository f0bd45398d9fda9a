"""Laborcase documents package."""
