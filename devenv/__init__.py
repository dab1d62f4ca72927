"""devenv: a pinned, production-like Hadoop, Hive and Spark cluster on your machine."""

__version__ = "0.1.0"
