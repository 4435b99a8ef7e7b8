"""MapKD: cross-modal knowledge distillation for online HD map construction."""
__version__ = '0.1.0'
