"""Finance service (port 8002): funds, regulations, contributions, loans,
repayments, fees and expenses; publishes on `ishc.finance`."""
