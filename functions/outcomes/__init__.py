"""Outcome events (`*.complete`, `call.graded`) as a concept the webhook and the outcome recorder share: the
queued message (`message`), the queue (`queue`), whose call an event is and storing it there (`attribution`),
and what they need from the outside world (`ports`)."""
