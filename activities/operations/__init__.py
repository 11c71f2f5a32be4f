"""House operations' activities, one module per process."""
