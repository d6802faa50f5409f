"""Checkpoints: ``save``/``load`` as safetensors files (being written; see issue 3)."""
