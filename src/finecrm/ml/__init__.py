"""finecrm.ml: estimators with scikit-learn conventions (fit returns self; fitted attributes end in _)."""
