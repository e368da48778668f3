# The same echo handler, paying for `import numpy` at init like a typical data function.
import numpy  # noqa: F401


def handler(event, context):
    return event
