"""Fails on purpose: the worker must record the project as failed."""
import sys

sys.stderr.write("worker-fail: this template always fails\n")
sys.exit(3)
