"""Pure rules of the reporting service: plain functions over plain data, no I/O."""
