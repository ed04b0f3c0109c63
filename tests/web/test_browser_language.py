"""Every page of every role reads in one language (issue 13, convention 2): a Chinese page carries no English
and an English page no Chinese, beyond what is the bank's own data (names of people, branches, products,
campaigns; the tier names the bank configured), codes shown as codes, and a short list of words both
languages use as they are (the product's name, Excel, ATM …).

The scan is done in a real Chromium on what a person sees (``innerText``), over every page a role reaches from
its start page two clicks deep, in each language.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
import pytest
from sqlalchemy import text

from finecrm.db.session import make_engine
from tests.web.conftest import campaigns_or_one

#: Words a Chinese page may carry as they are: software and file names bank staff use as names (finecrm,
#: Excel, DuckDB, Spark), the language switch, and acronyms Chinese bank staff say in Latin letters.
ZH_MAY_SAY = frozenset({"finecrm", "EN", "Excel", "DuckDB", "Spark", "ATM", "POS", "FTP", "ID", "CNY", "CZK", "USD",
                        "AUC", "KS", "PSI", "IV", "WoE", "KPI"})
#: The English page's switch back to Chinese.
EN_MAY_SAY = frozenset({"中文"})

#: What is not prose of the page: code, rules, data shown as data (names, logins, what people typed: reasons and
#: notes, ``.user-text``), and the controls whose options are data.
NOT_PROSE = "script, style, code, pre, textarea, select, .code, .mono, .named, .username, .user-text"
VISIBLE_TEXT_JS = f"""() => {{
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll({NOT_PROSE!r}).forEach(e => e.remove());
  document.body.appendChild(copy);  // innerText needs the copy laid out
  copy.style.position = 'absolute'; copy.style.left = '-99999px';
  const t = copy.innerText;
  copy.remove();
  return t;
}}"""

SKIP = re.compile(r"^/(lang/|static/|logout|api/)|/export")
MAX_PAGES = 40  # per role and language: every kind of page, not every customer
#: A masked value (张*明, 138****5678, an ID or credit code's last four after stars) is data, whatever it holds.
MASKED = re.compile(r"[^\s*]*\*+[^\s*]*")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]+")
CJK_RUN = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3001-\u3011]+")


def _data_strings(web_bank: Any) -> list[str]:
    """The bank's own words the pages show as they are, longest first (so a name is removed before its parts)."""
    raw = web_bank.ws.raw
    words: set[str] = set()
    queries = {
        "branches": ["name"], "staff": ["name"], "grids": ["name"], "products": ["name"],
        "customers": ["name", "occupation", "industry"], "loans": ["purpose"],
    }
    for table, cols in queries.items():
        for col in cols:
            try:
                rows = duckdb.sql(f"SELECT DISTINCT CAST({col} AS VARCHAR) FROM read_parquet('{raw / table}/*.parquet')"
                                  ).fetchall()
            except duckdb.Error:
                continue  # an optional column this bank does not have
            words |= {r[0] for r in rows if r[0]}
    engine = make_engine(web_bank.ws.database_url)
    with engine.connect() as c:
        for sql in ("SELECT username FROM users", "SELECT display_name FROM users", "SELECT name FROM audiences",
                    "SELECT description FROM audiences", "SELECT note FROM audience_versions",
                    "SELECT name FROM campaigns"):
            words |= {r[0] for r in c.execute(text(sql)) if r[0]}
    engine.dispose()
    s = web_bank.ws.settings
    words |= {b.name for b in s.tiers.retail} | {b.name for b in s.tiers.corporate}
    words |= {v.name for v in s.contribution.value_tiers}
    return sorted(words, key=len, reverse=True)


def _prose(page: Any, data: list[str]) -> str:
    said = str(page.evaluate(VISIBLE_TEXT_JS))
    for word in data:
        if word in said:
            said = said.replace(word, " ")
    return MASKED.sub(" ", said)


def _foreign(said: str, lang: str) -> set[str]:
    if lang == "zh":
        return {w for w in LATIN_WORD.findall(said) if w not in ZH_MAY_SAY}
    return {w for w in CJK_RUN.findall(said) if w not in EN_MAY_SAY and re.search(r"[\u3400-\u9fff]", w)}


def _crawl(page: Any, base_url: str) -> list[str]:
    """The role's pages from its start page, two clicks deep, one of each kind (digits in a path are one kind)."""
    page.goto(base_url + "/")
    todo, seen, visited = ["/"], {"/"}, []
    for _depth in range(3):
        found: list[str] = []
        for path in todo:
            if len(visited) >= MAX_PAGES:
                break
            response = page.goto(base_url + path)
            if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
                continue
            visited.append(path)
            for href in page.eval_on_selector_all("a[href^='/']", "els => els.map(e => e.getAttribute('href'))"):
                href = href.split("#")[0]
                kind = re.sub(r"\d+", "N", href.split("?")[0])
                if SKIP.search(href) or kind in seen:
                    continue
                seen.add(kind)
                found.append(href)
        todo = found
    return visited


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_of_every_role_reads_in_one_language(tabs, web_bank, login, lang):
    campaigns_or_one(login)  # so the campaign pages are among those read
    data = _data_strings(web_bank)
    leaks: dict[str, list[str]] = {}
    pages = 0
    for role in web_bank.logins:
        page = tabs.open(role)
        page.context.add_cookies([{"name": "finecrm_lang", "value": lang, "url": tabs.base_url}])
        for path in _crawl(page, tabs.base_url):
            page.goto(tabs.base_url + path)
            pages += 1
            words = _foreign(_prose(page, data), lang)
            if words:
                leaks[f"{role} {path}"] = sorted(words)[:12]
        tabs.assert_clean(page)
    assert pages >= 2 * len(web_bank.logins), pages  # the crawl reached more than the start pages
    assert not leaks, "\n".join(f"{where}: {words}" for where, words in sorted(leaks.items()))
