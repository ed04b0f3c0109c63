"""One module per area of the workbench; ``web.main.ROUTERS`` lists them."""
