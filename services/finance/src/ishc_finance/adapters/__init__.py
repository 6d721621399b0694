"""File formats and other I/O of the finance service that are neither HTTP nor the
database (the fund statement as CSV and XLSX). Adapters turn plain data into bytes and
back; they hold no rule and never commit. None yet.
"""
