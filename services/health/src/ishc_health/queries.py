"""Reads of the health service shared by several use cases or routes (a member's health
book, a club's sessions and visits), including the locked loads (`SELECT ... FOR
UPDATE`) a use case takes before it changes a row. Reads used by internal jobs without
a caller are named `..._unauthorised` so a reader sees that no policy ran. None yet.
"""
