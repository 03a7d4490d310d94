"""The SPDX License List's licence and exception identifiers, as package data (see each file's
header for the list version they come from)."""
