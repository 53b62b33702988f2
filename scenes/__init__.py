"""Scene files (TOML) and the shipped library of failure/fix lessons. No Qt here."""
