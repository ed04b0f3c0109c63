"""aml_alert_parties — every account, customer and staff member involved in an AML alert.

One row per alert and party: the alert's main account (role ``main``), the accounts in its evidence
(``counterpart``: counterparty accounts of the transactions, the other accounts of a cycle, the
accounts a staff member opened), and the staff member an insider alert names (``staff``). Accounts of
this bank carry their owner (``customer_id``); outside accounts only their number.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis

from finecrm.engine.model import BuildContext, Invariant, Model


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    a = src["aml_alerts"]
    listed = a.select("alert_id", "rule", main=a.account_id, party_id=a.party_accounts.split(",").unnest())
    listed = listed.filter(listed.party_id != "").distinct()
    owners = src["stg_accounts"].select(party_id=ibis._.account_id, owner=ibis._.customer_id)
    accounts = listed.left_join(owners, "party_id").drop("party_id_right")
    accounts = accounts.select(
        "alert_id", "rule", "party_id",
        role=ibis.ifelse(accounts.party_id == accounts.main, "main", "counterpart"),
        party_type=ibis.literal("account"), account_id=accounts.party_id, customer_id=accounts.owner,
        staff_id=ibis.null("string"), in_bank=accounts.owner.notnull())
    staff = a.filter(a.staff_id.notnull())
    staff = staff.select(
        "alert_id", "rule", party_id=staff.staff_id, role=ibis.literal("staff"), party_type=ibis.literal("staff"),
        account_id=ibis.null("string"), customer_id=ibis.null("string"), staff_id=staff.staff_id,
        in_bank=ibis.literal(True))
    return accounts.union(staff, distinct=False)


MODEL = Model(
    "aml_alert_parties", "mart", ("aml_alerts", "stg_accounts"), build,
    "One row per AML alert and party: the main account, the counterpart accounts in its evidence (with their "
    "owner when they are accounts of this bank) and the staff member an insider alert names.",
    grain="alert per party", key=("alert_id", "party_id"),
    not_null=("alert_id", "rule", "party_id", "role", "party_type"),
    invariants=(
        Invariant("known role", lambda t: t.role.isin(["main", "counterpart", "staff"]), "main, counterpart or staff"),
        Invariant("main is ours", lambda t: (t.role != "main") | t.customer_id.notnull(),
                  "the main account is an account of this bank"),
    ),
)
