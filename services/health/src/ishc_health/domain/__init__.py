"""Pure rules of the health service: plain functions over plain data, no I/O."""
