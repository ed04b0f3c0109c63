"""finecrm.synth"""
