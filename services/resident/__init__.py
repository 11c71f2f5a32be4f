"""The resident's own pages: one-time sign-in links, the home page's money, statements."""
