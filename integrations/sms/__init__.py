"""Text messages (SMS): the development outbox, and where a gateway adapter plugs in."""
