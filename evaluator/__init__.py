"""Podium's evaluator: XTREME tasks, data, container contract, scoring, ranking (no Django)."""
