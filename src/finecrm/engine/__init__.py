"""finecrm.engine"""
