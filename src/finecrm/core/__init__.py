"""finecrm.core"""
