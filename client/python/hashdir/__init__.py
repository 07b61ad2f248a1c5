"""Python side of hashdir.

Modules are imported on demand so that importing the package needs nothing beyond the standard
library: ``hashdir.h5reader`` (needs h5py and numpy) reads a store's ``hashdir.h5`` directly, while
the engine writes it.
"""

__all__ = ["Client", "HashdirError"]


def __getattr__(name):
    # hashdir.Client loads the ZeroMQ client (needs pyzmq and msgpack) only when asked for
    if name in ("Client", "HashdirError"):
        from . import client
        return getattr(client, name)
    raise AttributeError(f"module 'hashdir' has no attribute {name!r}")
