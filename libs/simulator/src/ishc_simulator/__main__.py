"""`python -m ishc_simulator`: the same as `ishc-simulate`."""

from ishc_simulator.cli import main

main()
