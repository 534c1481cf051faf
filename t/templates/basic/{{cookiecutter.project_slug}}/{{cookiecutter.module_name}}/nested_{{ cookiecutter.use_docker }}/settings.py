config = {{ cookiecutter.features|jsonify }}
