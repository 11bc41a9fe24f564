"""The one base for model errors a user can act on (too little data, bad input, nothing trained):
commands and pages show their message in one line instead of a traceback."""


class ModelInputError(ValueError):
    pass
