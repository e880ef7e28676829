"""Failures as people read them: which service failed, how, and what to do, with the
technical detail kept after a marker; pages show that detail one click away."""

DETAIL = "\n\nTechnical detail: "

# What a connection failure's text says happened, and how to say it.
HOW = (
    (("refused",), "refused the connection: is it running, at that address?"),
    (("timed out", "timeout"), "did not answer in time: it may be overloaded or cut off"),
    (("name or service not known", "nodename nor servname", "getaddrinfo",
      "temporary failure in name resolution"), "has a host name that does not resolve"),
    (("reset", "broken pipe", "remote end closed", "aborted"),
     "closed the connection in the middle of a request"),
)


def unreachable(service: str, error: BaseException | str) -> str:
    """`site-b's WebHDFS (127.0.0.1:9871) refused the connection: …`, then the detail."""
    text = str(error)
    lowered = text.lower()
    what = next((how for words, how in HOW if any(word in lowered for word in words)),
                "could not be reached")
    return f"{service} {what}{DETAIL}{text}"


def split(message: str) -> tuple[str, str]:
    """(what people read, the technical detail or "")."""
    text, _, detail = message.partition(DETAIL)
    return text, detail
