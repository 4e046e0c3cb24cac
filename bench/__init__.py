"""Benchmarks (not tests): each module runs alone and ends with one ``RESULT`` line.

``python -m bench`` runs them all; ``python -m bench.<name>`` runs one. See ``bench/_util.py`` for
the database each run uses.
"""
