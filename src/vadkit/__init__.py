"""vadkit: video anomaly detection and understanding."""

__version__ = "0.1.0"
