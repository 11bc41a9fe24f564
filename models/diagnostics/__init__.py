"""Symptom-to-fault diagnostics: free text + device → calibrated fault probabilities with prices,
parts and exact explanations. See models/README.md, "## Diagnostics"."""
