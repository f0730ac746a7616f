"""Marketplace imports: sales exported from Shopee, Lazada and TikTok Shop."""
