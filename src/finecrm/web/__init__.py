"""finecrm.web"""
