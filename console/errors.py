class Refused(Exception):
    """Something a user asked for that may not happen; the message says what to change.

    Views show it as a form error or message, the API as a 400.
    """
