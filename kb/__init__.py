"""ClusterKB: a comparative knowledge base of cluster-development policy."""

__version__ = "0.1.0"
