"""aiscale: a system-dynamics economic model of AI scaling."""

__version__ = "0.1.0"
