"""finecrm.authz"""
