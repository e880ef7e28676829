"""An embedded WebHDFS server over a local directory, with HDFS snapshot semantics.

`python -m minicluster.webhdfs --root DIR --state DIR ...` runs one cluster's
namenode and datanode listeners; `launcher` starts and stops it from Python.
"""
