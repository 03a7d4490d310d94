"""`python -m assay` runs the command-line interface."""

from assay.cli.app import main

main()
