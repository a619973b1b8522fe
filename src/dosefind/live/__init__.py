"""Live use in a running trial: recommendations for the dose-escalation meeting and their audit log."""
