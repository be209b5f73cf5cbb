"""The equal-compute study: the budget's queue, the FLOP count, the scoreboard and their command
lines (`python study.py`, `python -m gan flops`)."""
