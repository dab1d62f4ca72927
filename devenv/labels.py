"""The labels devenv puts on every container, volume, network and image it makes.

One name each, read by the engine listing (docker.py), written by compose.py
and images.py, and matched by prune and the doctor.
"""

from __future__ import annotations

MANAGED = "devenv.managed"      # "true" on everything devenv made
CLUSTER = "devenv.cluster"      # the cluster a container, volume or network belongs to
PROFILE = "devenv.profile"      # the profile that cluster was created from
SERVICE = "devenv.service"      # the instance a container or volume serves (namenode, datanode-1, ...)
CONFIG = "devenv.config"        # digest of a container's mounted configuration (a change recreates it)
IMAGE = "devenv.image"          # on images: which image (jvm, hadoop, ...)
INPUTS = "devenv.inputs"        # on images: the digest of everything it was built from
VERSIONS = "devenv.versions"    # on images: the profile's pinned versions
VERSION_OF = "devenv.version."  # + hadoop/hive/spark, on images (so their containers): what the component's own
                                # version report printed at build (images/*/Dockerfile; the build fails unless it is the pin)
OWNER = "devenv.owner"          # the id of the devenv home that made it (devenv/owner.py); one engine has many homes
