"""finecrm.services"""
