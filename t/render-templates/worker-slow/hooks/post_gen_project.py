"""Sleeps for hook_sleep seconds (to widen the window in which tests stop
or kill the worker), then leaves a trace that the hook ran."""
import time

time.sleep(float("{{ cookiecutter.hook_sleep }}"))

with open("HOOK_RAN", "w") as f:
    f.write("post_gen_project ran for {{ cookiecutter.project_slug }}\n")
