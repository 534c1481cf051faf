"""Runs in the project folder after the files are written."""
import json
import os

KEEP = "{{ cookiecutter.keep_extra }}" == "y"

if not KEEP:
    os.remove("extra.txt")

with open("post.txt", "w") as fh:
    fh.write("post hook: {{ cookiecutter.shout }} files=%s\n"
             % sorted(os.listdir(".")))
    fh.write(json.dumps({{ cookiecutter.project_slug|jsonify }}) + "\n")
os.chmod("post.txt", 0o600)
