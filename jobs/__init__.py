"""What the scheduler does: plain async functions and the pure decisions behind them."""
