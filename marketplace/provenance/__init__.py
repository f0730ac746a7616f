"""Provenance: batches, the cultivation diary, certificates, scans and QR labels."""
