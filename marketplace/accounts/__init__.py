"""Accounts: people who use the platform and how they sign in."""
