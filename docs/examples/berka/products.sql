-- Berka's products: the current account, loans and three kinds of card.
SELECT * FROM (VALUES
  ('CURRENT',      'Current account 活期账户', 'deposit',    NULL),
  ('LOAN',         'Loan 贷款',                'loan',       NULL),
  ('CARD_JUNIOR',  'Junior card 青少年卡',     'debit_card', NULL),
  ('CARD_CLASSIC', 'Classic card 普通卡',      'debit_card', NULL),
  ('CARD_GOLD',    'Gold card 金卡',           'debit_card', NULL)
) AS p(product_code, name, category, risk_level)
