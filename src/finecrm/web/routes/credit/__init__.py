"""Credit: the loan book by five-category classification (``loans``) and the changes of a loan's category with
their approval (``approvals``)."""
