"""Bundled and generated data: the real CDNOW log (``cdnow``) and the synthetic B2B
generator with its true per-account parameters (``synthetic``)."""
