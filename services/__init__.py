"""Domain services: plain functions over a tenant `Session`, one module (or package) per domain.

Routes, activities and the seed share these; nothing else queries the same tables by hand.
"""
