"""Laborcase integrations package."""
