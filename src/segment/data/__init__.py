"""Bundled and generated data: the real CDNOW log (``cdnow``), the synthetic B2B
generator with ground truth (``synthetic``) and the textbook scenarios (``scenarios``)."""
