"""Everything that ships to Lambda: one package per function, plus the concepts they share."""
