"""`devenv jobs`: what each application asked of YARN, and what the same run would ask of production.

rest.py reads the ResourceManager and the history servers over HTTP (the
cluster's published ports), report.py turns their answers into one `App` per
application, production.py scales it back up with the import's factor and
compares it with the queue's guarantee and maximum. Nothing here talks to Docker.
"""
