"""HTTP routers of the reporting service, one per resource; they only translate HTTP."""
