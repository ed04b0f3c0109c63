"""finecrm.rules"""
