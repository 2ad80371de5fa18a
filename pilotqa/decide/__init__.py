"""Sampling decision: may each characteristic leave 100 % inspection, and what replaces it.

* :mod:`pilotqa.decide.policy` — :class:`Policy` (defaults after AIAG PPAP 4th ed. §2.2.11),
  TOML loading and validation, ``policy --show`` text.
* :mod:`pilotqa.decide.tables` — sampling tables as data (MIL-STD-105E / ANSI/ASQ Z1.4,
  ANSI/ASQ Z1.9 / MIL-STD-414, Squeglia c = 0) and their look-ups.
* :mod:`pilotqa.decide.verdict` — :func:`decide`: evidence → verdict, plan and reasons.
"""
from __future__ import annotations

from pilotqa.decide.policy import Policy, load_policy, policy_toml_text
from pilotqa.decide.verdict import DecisionSummary, decide

__all__ = ["Policy", "load_policy", "policy_toml_text", "DecisionSummary", "decide"]
