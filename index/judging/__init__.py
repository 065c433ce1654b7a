"""From evidence to a verdict: product head, calibration, text and code evidence, known fakes, the verdict rule and its sentences."""
