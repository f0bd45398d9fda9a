"""Laborcase signing package."""
