"""Payments: cash, VietQR bank transfer and card through Stripe."""
