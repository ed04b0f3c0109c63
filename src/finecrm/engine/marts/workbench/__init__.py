"""Marts of the workbench area (客户经理工作台): the month's visit plan."""
