#!/bin/sh
echo run {{ cookiecutter.project_slug }}
