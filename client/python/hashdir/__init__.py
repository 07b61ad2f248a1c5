"""Python side of hashdir.

Modules are imported on demand so that importing the package needs nothing beyond the standard
library: ``hashdir.h5reader`` (needs h5py and numpy) reads a store's ``hashdir.h5`` directly, while
the engine writes it.
"""
