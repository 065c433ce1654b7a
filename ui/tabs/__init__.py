"""One module per tab of the page (``build(page, **shared)``); ``app.py`` assembles them."""
