#!/bin/sh
# the environment a shell hook is given, one NAME=value a line
env > SH_ENV.txt
