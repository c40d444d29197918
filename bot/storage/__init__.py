"""Storage: the store port (port.py) and its TinyDB and PostgreSQL implementations.

Only the composition root (app.py) and the command line (handlers/cli) pick an implementation;
everything else sees the Store protocol in port.py. What only the stores use lives here too: the
TinyDB case index, durable file writes and evidence kept by SHA-256, and the store-to-store copy.
"""
