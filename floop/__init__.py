"""floop: the feedback-loop warehouse for AI systems."""

__version__ = "0.1.0"
