"""Writes the environment the hook was given into the project."""
import json
import os

with open("ENV.json", "w") as fh:
    json.dump(dict(os.environ), fh, sort_keys=True)
