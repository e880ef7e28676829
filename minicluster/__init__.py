"""The embedded mini cluster: two Hadoop-like clusters and a Redis on loopback."""
