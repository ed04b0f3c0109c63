"""finecrm.ml"""
