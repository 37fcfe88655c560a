"""Outcome events (`*.complete`, `call.graded`) as a concept the webhook, the outcome recorder, the backfill and
the operator's tools share: the queued message (`message`), the queue (`queue`), whose call an event is and
storing it there (`attribution`), contested calls set aside for the operator (`contested`), what attribution
reads of the configuration (`directory`), and what they need from the outside world (`ports`)."""
