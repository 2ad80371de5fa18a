"""Mutation fuzzing of the whole pipeline (read, analyse, write) over every input format.

* :mod:`tests.fuzz.corpus` — seed cases built from ``sample_data/``, the test fixtures and
  ``../shared/real_exports/`` (small subsets, so one analysis stays well under a second);
* :mod:`tests.fuzz.mutate` — the mutations (bytes, cells, headings, encodings, containers, files);
* :mod:`tests.fuzz.harness` — runs one case through the command line in-process and classifies
  the outcome (result, located refusal, or a failure: crash, hang, noisy stderr, unlocated
  refusal, invalid output).

``tests/fuzz/test_fuzz.py`` runs a small derandomised budget in the normal suite;
``benchmarks/fuzz_campaign.py --n 10000`` runs a large one in worker processes.
"""
