"""faust-streaming processors."""
