"""What the parsed gin config sets, read without calling the configurable."""

import inspect

import gin


def bound_argument(fn, name):
    """The value gin binds to `fn`'s argument `name`, else the function's default."""
    try:
        return gin.query_parameter(f"{fn.__name__}.{name}")
    except ValueError:
        return inspect.signature(fn).parameters[name].default
