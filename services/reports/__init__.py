"""Operator reports: money from the ledger (`financial`), beds and stays (`occupancy`),
follow-up after discharge (`outcomes`), the bookkeeper's export (`export`), and the CSV and PDF
renderings with their charts (`render`, `charts`). Every figure is read from what the processes
wrote when the report is asked for; no report keeps a copy of a balance."""
