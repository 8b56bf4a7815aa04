"""accelerator-kg: a knowledge graph of China's state-backed high-tech firms."""

__version__ = "0.1.0"
