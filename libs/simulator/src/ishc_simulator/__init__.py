"""ISHC simulator: a deterministic world of clubs driven into the services over HTTP."""
