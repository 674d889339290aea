"""The shipped clips, installed with the course as the package data ``course_utils.clips``.

``pyproject.toml`` maps this folder to that package, so that a wheel or a plain ``pip install .``
carries the clips and ``registry.json``; ``course_utils.data.data_dir()`` finds them there or, in
an editable install, here. ``generate.py`` is the maintainers' tool that made them.
"""
