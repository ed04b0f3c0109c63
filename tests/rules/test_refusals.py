"""Every way out of the language is refused with a RuleError that says why.

Each case is a rule an attacker or a confused analyst might write, and a piece of the message that
must explain the refusal to the analyst.
"""

from __future__ import annotations

import pytest

from finecrm.core.errors import FinecrmError
from finecrm.rules import MAX_DEPTH, MAX_LENGTH, RuleError, parse_rule

from .data import COLUMNS, ROWS

SUBQUERY = "subqueries are not allowed"
STATEMENT = "not a SQL statement"
QUALIFIED = "only bare column names"
TABLE_READ = "reading files or tables is not allowed"
FUNCTION = "is not allowed; functions allowed" # message + hint, joined
AGGREGATE = "aggregate functions"
CAST = "casts (CAST, TRY_CAST, ::) are not allowed"
PLACEHOLDER = "placeholders and parameters"
LISTS = "lists, structs and maps are not allowed"
JSON = "JSON operators"
COMMENT = "comments (-- or /* */) are not allowed"
OPERATOR = "this operator is not allowed"

REFUSED: list[tuple[str, str]] = [
    # subqueries
    ("age > (SELECT max(age) FROM customers)", SUBQUERY),
    ("EXISTS (SELECT 1 FROM customers)", SUBQUERY),
    ("age > 1 AND EXISTS (SELECT 1)", SUBQUERY),
    ("customer_id IN (SELECT customer_id FROM staff)", SUBQUERY),
    ("customer_id NOT IN (SELECT customer_id FROM staff)", SUBQUERY),
    ("(SELECT 1)", SUBQUERY),
    ("age > 1 UNION SELECT 1", SUBQUERY),
    ("age = ANY (SELECT 1)", "not allowed"),
    # other tables, qualified names, *
    ("t.age > 1", QUALIFIED),
    ("customers.age > 1", QUALIFIED),
    ("main.customers.age > 1", QUALIFIED),
    ("main.x.y = 1", QUALIFIED),
    ('"customers"."age" > 1', QUALIFIED),
    ("*", "'*' is not allowed"),
    ("customers.* IS NULL", "'*' is not allowed"),
    ("count(*) > 1", AGGREGATE),
    # several statements, DDL and DML, DuckDB commands
    ("age > 1; DROP TABLE customers", "';' is not allowed"),
    ("age > 1;", "';' is not allowed"),
    ("DROP TABLE customers", STATEMENT),
    ("DELETE FROM customers", STATEMENT),
    ("UPDATE customers SET age = 1", STATEMENT),
    ("INSERT INTO customers VALUES (1)", STATEMENT),
    ("COPY customers TO '/tmp/x.csv'", STATEMENT),
    ("ATTACH '/tmp/x.db' AS x", STATEMENT),
    ("INSTALL httpfs", STATEMENT),
    ("LOAD httpfs", STATEMENT),
    ("PRAGMA database_list", STATEMENT),
    ("SET memory_limit = '1GB'", STATEMENT),
    ("CALL pragma_version()", STATEMENT),
    ("SELECT * FROM customers", STATEMENT),
    ("WITH x AS (SELECT 1) SELECT * FROM x", STATEMENT),
    ("CREATE TABLE x AS SELECT 1", STATEMENT),
    ("select 1", STATEMENT),
    # table functions and functions outside the allow-list
    ("read_csv('/etc/passwd') IS NULL", TABLE_READ),
    ("read_csv_auto('/etc/passwd') IS NULL", TABLE_READ),
    ("read_parquet('s3://bucket/x.parquet') IS NULL", TABLE_READ),
    ("read_json('x.json') IS NULL", TABLE_READ),
    ("glob('/etc/*') IS NULL", TABLE_READ),
    ("system('rm -rf /') = 0", "function 'system'"),
    ("getenv('HOME') = '/root'", "function 'getenv'"),
    ("current_setting('home_directory') = ''", "function 'current_setting'"),
    ("random() < 0.5", "function 'random'"),
    ("sleep(10) IS NULL", "function 'sleep'"),
    ("version() = 'v1'", "function 'version'"),
    ("concat(name, 'x') = 'a'", "function 'concat'"),
    ("substr(name, 1, 1) = '张'", "function 'substr'"),
    ("regexp_matches(name, '.*')", "function 'regexp_matches'"),
    ("today() > open_date", "function 'today'"),
    ("now() > last_txn_at", "function 'now'"),
    ("if(age > 1, TRUE, FALSE)", "use CASE WHEN"),
    ("nullif(age, 1) > 1", "function 'nullif'"),
    ("ABS(age) > 1 AND SYSTEM('x') = 1", "function 'SYSTEM'"),
    # aggregates and window functions
    ("sum(aum_avg_m) > 1", AGGREGATE),
    ("avg(age) > 40", AGGREGATE),
    ("max(age, txn_30d) > 1", "greatest(a, b)"),
    ("row_number() OVER () = 1", "window functions"),
    ("rank() OVER (ORDER BY age) < 10", "window functions"),
    ("sum(age) OVER (PARTITION BY tier) > 1", "window functions"),
    # casts
    ("CAST(age AS VARCHAR) = '40'", CAST),
    ("age::VARCHAR = '40'", CAST),
    ("TRY_CAST(name AS INT) = 1", CAST),
    ("CAST(name AS DATE) > DATE '2026-01-01'", CAST),
    ("CAST('2026-01-01' AS INT) = 1", CAST),
    # comments that could hide code
    ("age > 1 -- ; DROP TABLE x", COMMENT),
    ("age > 1 /* ; DROP TABLE x */", COMMENT),
    ("age /* */ > 1", COMMENT),
    ("-- DROP TABLE x", COMMENT),
    ("age > 1 --", COMMENT),
    # string tricks: an unclosed quote cannot be read; a closed one is only a value (see test_compile)
    ("name = 'a'' OR 1=1 --", "cannot be read"),
    ("name = 'a' OR 1=1 --'", COMMENT),
    ("name = E'\\x27' OR TRUE", "only plain text"),
    ("name = $$x$$", "only plain text"),
    ('name = "张三"', "unknown column '张三'"),
    # placeholders and parameters
    ("age = $1", PLACEHOLDER),
    ("age = ?", PLACEHOLDER),
    ("age = :age", PLACEHOLDER),
    ("age = @age", PLACEHOLDER),
    ("age = $age", PLACEHOLDER),
    # lambdas, lists, structs, maps, JSON, COLLATE, INTERVAL
    ("list_filter([1, 2], x -> x > 1) = [2]", "function 'list_filter'"),
    ("age -> 'x' = 1", JSON),
    ("name ->> '$.a' = 'x'", JSON),
    ("json_extract(name, '$.a') = 'x'", JSON),
    ("[1, 2] = [1, 2]", LISTS),
    ("age = [1]", LISTS),
    ("{'a': 1} IS NULL", LISTS),
    ("map {'a': 1} IS NULL", LISTS),
    ("(age, txn_30d) = (1, 2)", LISTS),
    ("name[1] = 'x'", LISTS),
    ("name COLLATE nocase = 'x'", "COLLATE is not allowed"),
    ("open_date > current_date - INTERVAL 30 DAY", "INTERVAL is not allowed"),
    ("age AS a", "aliases (AS) are not allowed"),
    # operators outside the list
    ("age % 2 = 0", OPERATOR),
    ("age // 2 = 1", OPERATOR),
    ("age ^ 2 > 1", OPERATOR),
    ("name || 'x' = 'ax'", OPERATOR),
    ("age & 1 = 1", OPERATOR),
    ("name ~ '^a'", OPERATOR),
    ("name SIMILAR TO 'a%'", OPERATOR),
    ("name GLOB 'a*'", OPERATOR),
    ("age IS DISTINCT FROM 1", OPERATOR),
    ("name LIKE 'a!%' ESCAPE '!'", OPERATOR),
    ("has_online_banking IS TRUE", "IS is only allowed as IS NULL"),
    ("age BETWEEN SYMMETRIC 1 AND 2", "BETWEEN SYMMETRIC"),
    # columns
    ("agee > 40", "did you mean 'age'?"),  # the closest columns, not the whole list (rules help has it)
    ("AGE > 40", "did you mean 'age'?"),
    ("password = 'x'", "unknown column 'password'"),
    ('"客户等级 " = \'A\'', "did you mean '客户等级'?"),
    # types
    ("tier = 1", "cannot compare column 'tier' of type string"),
    ("age = '40'", "cannot compare column 'age' of type int"),
    ("age LIKE '4%'", "LIKE works on text only, but this is column 'age' of type int"),
    ("aum_avg_m ILIKE '5%'", "ILIKE works on text only, but this is column 'aum_avg_m' of type decimal"),
    ("open_date > 5", "cannot compare column 'open_date' of type date"),
    ("open_date > '2026-13-01'", "'2026-13-01' is not a valid date"),
    ("open_date = DATE 'yesterday'", "is not a valid date"),
    ("has_online_banking = 1", "cannot compare column 'has_online_banking' of type bool"),
    ("name + 1 > 2", "+ works on numbers only"),
    ("open_date - 30 > open_date", "date_diff('day'"),
    ("-name = 'x'", "unary minus works on numbers only"),
    ("lower(age) = 'x'", "lower() needs"),
    ("year(name) = 2026", "year() needs"),
    ("date_diff('day', name, current_date) > 1", "date_diff() needs dates"),
    ("date_diff('month', open_date, current_date) > 1", "date_diff counts days only"),
    ("round(score, 11) > 1", "round(x, n) needs n a whole number"),
    ("round(score, -1) > 1", "round(x, n) needs n a whole number"),
    ("coalesce(tier, 0) = 'a'", "must all be of one type"),
    ("CASE WHEN age > 1 THEN 'a' ELSE 0 END = 'a'", "must all be of one type"),
    ("CASE WHEN age THEN 1 END = 1", "WHEN needs conditions"),
    ("age AND has_online_banking", "AND needs conditions"),
    ("NOT age", "NOT needs conditions"),
    ("age = NULL", "use IS NULL"),
    ("age <> NULL", "use IS NULL"),
    ("age IN (1, NULL)", "NULL in IN (…) never matches"),
    ("age IN (1, txn_30d)", "IN (…) takes only fixed values"),
    ("age IN ()", "IN needs at least one value"),
    ("age / 0 > 1", "division by zero"),
    ("age > 1e300", "too large"),
    ("age > 99999999999999999999", "too large"),
    ("score > 0.0000000000000000001", "too many digits"),
    # not a condition
    ("age + 1", "a rule must be a condition (true/false), e.g. age >= 40"),
    ("age", "a rule must be a condition"),
    ("'yes'", "a rule must be a condition"),
    ("NULL", "a rule must be a condition"),
    ("coalesce(age, 0)", "a rule must be a condition"),
    # unreadable
    ("age >", "cannot be read"),
    ("age > 1 AND", "cannot be read"),
    ("(age > 1", "cannot be read"),
    ("age > 1)", "cannot be read"),
    ("age >> 1", "not allowed"),
    ("lambda x: x", "cannot be read"),
    ("year(open_date, 1) = 1", "wrong number of arguments"),
    ("name LIKE ANY ('a%')", "not allowed"),
    ("'", "cannot be read"),
    ('"', "cannot be read"),
    ("/*", "cannot be read"),
    # empty
    ("", "the rule is empty"),
    ("   \n\t ", "the rule is empty"),
]


@pytest.mark.parametrize(("text", "why"), REFUSED, ids=[text[:50] for text, _ in REFUSED])
def test_refused_with_a_reason(text, why):
    with pytest.raises(RuleError) as caught:
        parse_rule(text, COLUMNS)
    assert why in str(caught.value)
    assert isinstance(caught.value, FinecrmError)


def test_messages_are_bilingual_and_say_what_is_allowed():
    with pytest.raises(RuleError) as caught:
        parse_rule("system('ls') = 0", COLUMNS)
    message = str(caught.value)
    assert "不允许的函数" in message
    assert "functions allowed: abs, round, coalesce, least, greatest, lower, upper, length, trim, year, month, day, date_diff, current_date" in message


def test_errors_point_at_where_the_problem_is():
    with pytest.raises(RuleError) as caught:
        parse_rule("age > 1 AND agee < 40", COLUMNS)
    assert caught.value.position == 13
    assert "at character 13" in str(caught.value)
    with pytest.raises(RuleError) as caught:
        parse_rule("age > 1 AND getenv('x') = 'y'", COLUMNS)
    assert caught.value.position == 13
    assert "GETENV('x')" in str(caught.value)


def test_overlong_input_is_refused_before_parsing():
    near_limit = "age > 1" + " " * (MAX_LENGTH - len("age > 1"))
    assert parse_rule(near_limit, COLUMNS).normalized == "age > 1"
    with pytest.raises(RuleError, match="too long"):
        parse_rule(near_limit + " ", COLUMNS)
    with pytest.raises(RuleError, match="too long"):
        parse_rule("age > 1 OR " * 100_000 + "age > 1", COLUMNS)


@pytest.mark.parametrize(
    ("opener", "closer"),
    [("(", ")"), ("NOT (", ")"), ("abs(", ")"), ("coalesce(", ", 1)"), ("CASE WHEN TRUE THEN ", " END")],
)
def test_nesting_is_limited(opener, closer):
    def nested(levels: int) -> str:
        inner = opener * levels + "age" + closer * levels
        return f"{inner} > 1" if "NOT" not in opener else inner.replace("age", "age > 1", 1)

    if opener == "(":
        # Pure parentheses are grouping only: fifty of them are fine.
        assert parse_rule(nested(MAX_DEPTH), COLUMNS).normalized == "age > 1"
    else:
        parse_rule(nested(MAX_DEPTH // 2 - 2), COLUMNS)
    with pytest.raises(RuleError, match="nested too deeply"):
        parse_rule(nested(MAX_DEPTH + 1), COLUMNS)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("NOT " * 60 + "has_online_banking", "nested too deeply"),
        ("- " * 60 + "age > 1", "nested too deeply"),
        ("(" * 1900 + "age" + ")" * 1900, "nested too deeply"),
        ("abs(" * 600 + "age" + ")" * 600 + " > 1", "nested too deeply"),
        # Chains the parser nests without parentheses: refused by the depth check on the tree, or by
        # the parser running out of room; either way a RuleError, never a RecursionError.
        ("age = NOT " * 300 + "age", "nested too deeply"),
        ("age = NOT " * 30 + "has_online_banking", "nested too deeply"),
        # Two dashes start a comment.
        ("-" * 3000 + "age > 1", "comments"),
    ],
    ids=["not-chain", "minus-chain", "parentheses", "functions", "not-equality-chain", "short-not-chain", "dashes"],
)
def test_deep_nesting_without_parentheses_is_refused(text, why):
    with pytest.raises(RuleError, match=why):
        parse_rule(text, COLUMNS)


def test_a_long_but_flat_rule_is_fine(customers):
    text = " OR ".join(f"age = {i}" for i in range(300))
    assert len(text) < MAX_LENGTH
    rule = parse_rule(text, COLUMNS)
    selected = set(rule.filter(customers).customer_id.to_pyarrow().to_pylist())
    assert selected == {row["customer_id"] for row in ROWS if row["age"] is not None}


def test_bad_columns_argument_is_a_programming_error():
    with pytest.raises(ValueError, match="expected one of"):
        parse_rule("age > 1", {"age": "integer"})
    with pytest.raises(ValueError):
        parse_rule("age > 1", {"": "int"})


def test_a_column_named_like_a_statement_word_is_written_in_double_quotes():
    columns = {"load": "int", "select": "string"}
    with pytest.raises(RuleError, match="not a SQL statement"):
        parse_rule("load > 1", columns)
    rule = parse_rule('"load" > 1 AND "select" = \'x\'', columns)
    assert rule.columns == {"load", "select"}
    assert rule.normalized == '"load" > 1 AND "select" = \'x\''
    assert parse_rule(rule.normalized, columns) == rule


def test_errors_on_later_lines_point_at_the_character():
    text = "age > 1 AND\n  agee > 3"
    with pytest.raises(RuleError) as caught:
        parse_rule(text, COLUMNS)
    assert text[caught.value.position - 1 :].startswith("agee")
    text = "age > 1 AND\n  tier = 'a' AND"
    with pytest.raises(RuleError) as caught:
        parse_rule(text, COLUMNS)
    assert text[caught.value.position - 1 :] == "AND"


def test_a_rule_must_be_text():
    with pytest.raises(RuleError, match="must be text"):
        parse_rule(None, COLUMNS)  # type: ignore[arg-type]


def test_parsing_deep_rules_leaves_the_recursion_limit_alone_and_is_thread_safe():
    import sys
    from concurrent.futures import ThreadPoolExecutor

    before = sys.getrecursionlimit()
    deep = "(" * MAX_DEPTH + "age > 1" + ")" * MAX_DEPTH
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: parse_rule(deep, COLUMNS).normalized, range(64)))
    assert set(results) == {"age > 1"}
    assert sys.getrecursionlimit() == before
