"""What every feature shares about saying no to a person."""

from __future__ import annotations


class Refusal(ValueError):
    """A refusal whose message is shown to the person: a rule of the app said no, in words
    written (and translated) for them. Each feature's refusal class inherits from it; anything
    else (a state machine's IllegalTransition, a malformed scheduler instance) is a developer's
    error, and its message stays in the log."""
