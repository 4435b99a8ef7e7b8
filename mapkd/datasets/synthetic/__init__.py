"""Synthetic nuScenes-format city generator (see docs/synthetic_city.md)."""
from .generator import DEFAULT_IMAGE_SIZE, DEFAULT_VERSION, LOCATION, generate_city

__all__ = ['generate_city', 'DEFAULT_IMAGE_SIZE', 'DEFAULT_VERSION', 'LOCATION']
