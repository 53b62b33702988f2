"""The GAN doctor: detectors over a run's metric history that name a failure as it happens,
with the evidence in numbers, the cause in plain words and fixes as knob changes.

`names` is imported by the scene config (a failure scene declares the finding it teaches), so
this package's __init__ imports nothing: the doctor itself is `models.diagnosis.doctor`.
"""
