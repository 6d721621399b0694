"""Pure rules of the finance service: plain functions over plain data, no I/O."""
