#!/bin/sh
# runs in the project folder before any file is written
set -e
printf 'pre hook in %s for {{ cookiecutter.project_slug }}\n' "$(basename "$(pwd)")" > pre.txt
