"""Laborcase integrations storage package."""
