import sys
print("failing on purpose for {{ cookiecutter.project_slug }}")
sys.exit(3)
