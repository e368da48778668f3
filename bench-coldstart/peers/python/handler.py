# Trivial awslambdaric handler: echo the event.
def handler(event, context):
    return event
