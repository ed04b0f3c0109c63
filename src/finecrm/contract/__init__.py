"""finecrm.contract"""
