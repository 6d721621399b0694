"""Pure rules of the registry service: plain functions over plain data, no I/O."""
