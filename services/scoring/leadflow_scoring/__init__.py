"""Scoring: turns who a lead is and what they do into a 0-100 score and a temperature."""
