"""The pure rollout domain: plan, dependency graph, calendar, status, gates.

It imports no chat SDK and no database, and reads no clock: dates are arguments.
"""
