"""Reference data and normalisation: countries, HS codes, text folding, parties, derived facts."""
