"""Workbench (客户经理工作台): the manager's home and the month's visit plan (``home``), the work log with its
form and Excel list (``log``)."""
