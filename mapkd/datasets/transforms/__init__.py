"""Registered per-sample transforms applied after a dataset item is built."""
