"""Writes a cookiecutter template of random small templates (t/130).

Usage: render_fuzz.py SEED COUNT DIR [trim_blocks] [lstrip_blocks]

Each file of DIR/{{cookiecutter.project_slug}}/ is a random mix of tags,
whitespace control, raw blocks, comments, expressions and filters that the
pinned Jinja2 renders without error (the others are dropped), so that
`cookiecutter` and `djass-worker render` can be compared on all of them.
Run with build/venv's Python (it imports Jinja2 as cookiecutter sets it up).
"""
import json
import os
import random
import sys

from cookiecutter.environment import StrictEnvironment

CONTEXT = {
    "project_name": "Fuzz Ünïcode Project",
    "project_slug": "fuzz_project",
    "flag": "y",
    "num": "3",
    "items": {"names": ["alpha", "beta", "gamma"], "k": "v"},
}

PIECES = [
    "{{ cookiecutter.project_name }}", "{{- cookiecutter.flag -}}",
    "{{- 'a' }}", "{{ 'b' -}}", "{% if cookiecutter.flag == 'y' %}",
    "{%- if true -%}", "{% if false %}", "{% else %}", "{%- else -%}",
    "{% endif %}", "{%- endif %}", "{% endif -%}", "{# c #}",
    "{#- c -#}", "{#- c #}", "{% raw %}{{x}}{% endraw %}",
    "{%- raw -%} r {%- endraw -%}", "{% raw -%} r {% endraw %}", " ", "  ",
    "\n", "\n\n", "\t", "\r\n", "text", "\u00a0", "é",
    "{% for i in cookiecutter['items'].names %}",
    "{%- for i in cookiecutter['items'].names -%}",
    "{{ i }}{{ loop.index }}", "{{ loop.first }}", "{% endfor %}",
    "{%- endfor -%}", "{% else %}", "{% set v = 'q' %}",
    "{{ v|default('n') }}", "{%+ if true %}p{% endif %}", "-", "}", "{",
    "%", "#", "{{ cookiecutter.project_name|slugify }}",
    "{{ cookiecutter.project_name|upper|replace(' ', '_') }}",
    "{{ cookiecutter.num|int * 2 }}", "{{ 7 / 2 }}", "{{ [1, 'x'] }}",
    "{{ cookiecutter['items']|jsonify }}", "{{ 'x' if cookiecutter.flag "
    "else 'y' }}", "{{ cookiecutter.project_name.split()|join('+') }}",
    "{{ cookiecutter.project_name|title }}", "{{ '  t '|trim }}",
    "{{ cookiecutter.project_name[:4] }}", "{{ 'a' ~ 1 ~ none }}",
    "{%+ if true %}", "{% if true +%}", "{%+ endif +%}", "{#+ c +#}",
    "{% raw +%}r{%+ endraw %}", "    ", "  \n  ", "\n    ",
    "{% with w = 'W' %}{{ w }}", "{% endwith %}", "{%- filter upper %}",
    "{% endfilter -%}", "{% include 'nope.txt' ignore missing %}",
    "{{ loop.previtem|default('p') }}{{ loop.cycle('o', 'e') }}",
]


def main():
    seed, count, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    env_vars = {name: True for name in sys.argv[4:]}
    context = dict(CONTEXT)
    if env_vars:
        context["_jinja2_env_vars"] = env_vars
    rnd = random.Random(seed)
    env = StrictEnvironment(context={"cookiecutter": context},
                            keep_trailing_newline=True, **env_vars)
    folder = os.path.join(out, "{{cookiecutter.project_slug}}")
    os.makedirs(folder)
    with open(os.path.join(out, "cookiecutter.json"), "w") as fh:
        json.dump(context, fh, indent=4, ensure_ascii=False)
    kept = 0
    tries = 0
    while kept < count and tries < count * 50:
        tries += 1
        src = "".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 14)))
        try:
            env.from_string(src).render(cookiecutter=CONTEXT)
        except Exception:
            continue
        with open(os.path.join(folder, "t%04d.txt" % kept), "w",
                  newline="") as fh:
            fh.write(src)
        kept += 1
    print(kept)


if __name__ == "__main__":
    main()
