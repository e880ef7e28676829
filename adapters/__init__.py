"""Protocol clients: the only code that talks to a cluster."""
