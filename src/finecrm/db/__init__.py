"""finecrm.db"""
