# settings of {{ cookiecutter.project_slug }}
GREETING = "{{ cookiecutter.greeting }}"
DEBUG = False
TIMEOUT = 30
ALLOWED_HOSTS = []
LANGUAGE = "en"
TIME_ZONE = "UTC"
CACHE = "none"
