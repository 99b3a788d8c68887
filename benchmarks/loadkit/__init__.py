"""The parts of bench_load.py: the database it fills, the servers it starts, wrk, the uploads."""
