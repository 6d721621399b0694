"""File formats and other I/O of the health service that are neither HTTP nor the
database (exports of a club's sessions and visits). Adapters turn plain data into
bytes and back; they hold no rule and never commit. None yet.
"""
