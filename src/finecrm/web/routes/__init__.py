"""The workbench's pages and endpoints, one package per area (``access``, ``customers``, ``marketing``, ``data``)
and one module per page group inside it; ``web.main.ROUTERS`` lists them by area. A module
``routes/<area>/<name>.py`` renders the templates in ``templates/<area>/<name>/`` and asks
``services/<area>/``. ``api_docs`` (the OpenAPI description) is the app's own, not an area's.
"""
