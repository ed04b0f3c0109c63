"""finecrm: fine-grained customer management for retail banks."""

__version__ = "0.1.0"
