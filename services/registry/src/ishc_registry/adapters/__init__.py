"""Files and other I/O of the registry (spreadsheets in and out)."""
