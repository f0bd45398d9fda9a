"""Laborcase web package."""
