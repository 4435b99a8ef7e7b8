"""view_transformers."""
