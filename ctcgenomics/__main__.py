"""``python -m ctcgenomics`` runs the ``ctcg`` command line."""

from ctcgenomics.cli import main

main()
