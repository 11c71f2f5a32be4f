"""The consent family's activities, one module (and class) per process."""
