"""From the analyst's text to one sqlglot syntax tree, refusing what must not reach the parser.

Checks here work on the raw text and tokens because the parser would lose or choke on them:
comments (the parser keeps them aside, where they could hide code from a reader), ``;`` (several
statements), placeholders, statements, overlong input and deep nesting. What the parser produces
is then judged by ``check.py``; nothing here decides what a valid rule is.
"""

from __future__ import annotations

import sys
import threading

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from .errors import RuleError
from .grammar import MAX_DEPTH, MAX_LENGTH, PARSE_RECURSION_HEADROOM, STATEMENT_WORDS

_DUCKDB = Dialect.get_or_raise("duckdb")

# sys.setrecursionlimit is process-wide: parses that raise it take turns, so one parse never
# lowers the limit under another. A parse takes well under a millisecond.
_RECURSION_LOCK = threading.Lock()

_OPENERS = {TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE, TokenType.CASE}
_CLOSERS = {TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE, TokenType.END}
_PREFIX_OPERATORS = {TokenType.NOT, TokenType.DASH, TokenType.PLUS, TokenType.TILDE}
# Tokens after which '-' or NOT is a binary/postfix operator rather than a prefix one.
_VALUE_ENDS = {
    TokenType.VAR, TokenType.IDENTIFIER, TokenType.NUMBER, TokenType.STRING, TokenType.R_PAREN,
    TokenType.R_BRACKET, TokenType.R_BRACE, TokenType.NULL, TokenType.TRUE, TokenType.FALSE,
    TokenType.END, TokenType.IS,
}

TOO_DEEP = f"规则嵌套过深 / the rule is nested too deeply (more than {MAX_DEPTH} levels)"
TOO_DEEP_HINT = "split it into simpler conditions joined by AND / OR"


def parse_sql(text: str) -> exp.Expression:
    """Parse ``text`` as one DuckDB-dialect expression, or raise :class:`RuleError`."""
    if not isinstance(text, str):
        raise RuleError(f"规则必须是文本 / a rule must be text, got {type(text).__name__}")
    if not text.strip():
        raise RuleError("规则为空 / the rule is empty", hint="write a condition such as age >= 40")
    if len(text) > MAX_LENGTH:
        raise RuleError(
            f"规则过长 / the rule is too long ({len(text)} characters; at most {MAX_LENGTH})",
            hint="split it into several rules or use IN (…) instead of long OR chains",
        )
    tokens = _tokenize(text)
    _check_tokens(text, tokens)
    return _parse_tokens(text, tokens)


def _tokenize(text: str) -> list[Token]:
    try:
        return _DUCKDB.tokenize(text)
    except TokenError as error:
        raise RuleError(
            "无法读取规则 / the rule cannot be read",
            hint="check that every quote ' or \" and every comment is closed",
        ) from error


def _check_tokens(text: str, tokens: list[Token]) -> None:
    if not tokens:
        # Only whitespace was ruled out above, so the text was nothing but a comment.
        raise RuleError(
            "不允许注释 / comments (-- or /* */) are not allowed in a rule",
            hint="put explanations in the rule's description instead",
        )
    first = tokens[0]
    # A quoted "select" is a column name; a bare SELECT starts a statement whatever the columns are
    # (the parser would read it so), and a column of that name must be written in double quotes.
    if first.token_type != TokenType.IDENTIFIER and first.text.upper() in STATEMENT_WORDS:
        raise RuleError(
            "规则只能是条件，不能是 SQL 语句 / a rule is a condition, not a SQL statement",
            fragment=first.text.upper(),
            position=first.start + 1,
            hint="write only the condition, e.g. age >= 40 AND tier = '财富'",
        )
    depth = 0
    prefix_run = 0
    previous: Token | None = None
    for index, token in enumerate(tokens):
        if token.comments:
            raise RuleError(
                "不允许注释 / comments (-- or /* */) are not allowed in a rule",
                position=token.start + 1,
                hint="put explanations in the rule's description instead",
            )
        kind = token.token_type
        if kind == TokenType.SEMICOLON:
            raise RuleError(
                "规则只能有一个条件，不允许分号 / only one condition is allowed; ';' is not allowed",
                position=token.start + 1,
                hint="join conditions with AND or OR",
            )
        if kind in (TokenType.PARAMETER, TokenType.PLACEHOLDER):
            # '$1' and '@name' come as two tokens; show them together.
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            written = token.text
            if following is not None and following.start == token.end + 1:
                written += following.text
            raise _placeholder_error(written, token.start + 1)
        if kind in _OPENERS:
            depth += 1
            if depth > MAX_DEPTH:
                raise RuleError(TOO_DEEP, position=token.start + 1, hint=TOO_DEEP_HINT)
        elif kind in _CLOSERS:
            depth -= 1
        # A long run of prefix operators (NOT NOT NOT …, - - - …) nests without parentheses.
        is_prefix = kind in _PREFIX_OPERATORS and (previous is None or previous.token_type not in _VALUE_ENDS)
        prefix_run = prefix_run + 1 if is_prefix else 0
        if prefix_run > MAX_DEPTH:
            raise RuleError(TOO_DEEP, position=token.start + 1, hint=TOO_DEEP_HINT)
        previous = token


def _placeholder_error(written: str, position: int | None) -> RuleError:
    return RuleError(
        "不允许参数占位符 / placeholders and parameters ($1, ?, :name, @name) are not allowed",
        fragment=written,
        position=position,
        hint="write the value itself, e.g. age >= 40",
    )


def _parse_tokens(text: str, tokens: list[Token]) -> exp.Expression:
    with _RECURSION_LOCK:
        old_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old_limit, _stack_depth() + PARSE_RECURSION_HEADROOM))
        try:
            trees = _DUCKDB.parser().parse(tokens, text)
        except RecursionError:
            raise RuleError(TOO_DEEP, hint=TOO_DEEP_HINT) from None
        except ParseError as error:
            raise _parse_error(text, error) from error
        except Exception as error:
            # The parser failing in any other way on odd input is still the input's fault; say
            # so instead of leaking an internal error. (Seen: ValueError on "x LIKE ANY ('a')".)
            raise RuleError(
                "无法读取规则 / the rule cannot be read",
                hint="check the operators and parentheses; see the list of what rules may contain",
            ) from error
        finally:
            sys.setrecursionlimit(old_limit)
    statements = [tree for tree in trees if tree is not None]
    if not statements:
        raise RuleError("规则为空 / the rule is empty", hint="write a condition such as age >= 40")
    if len(statements) > 1:
        # Unreachable while ';' is refused above; kept so a tokenizer change cannot open a hole.
        raise RuleError("规则只能有一个条件 / only one condition is allowed")
    return statements[0]


def _stack_depth() -> int:
    frame = sys._getframe()
    depth = 0
    while frame is not None:
        depth += 1
        frame = frame.f_back  # type: ignore[assignment]
    return depth


def _parse_error(text: str, error: ParseError) -> RuleError:
    details = error.errors[0] if error.errors else {}
    near = str(details.get("highlight") or "").strip()
    position = _offset(text, details.get("line"), details.get("col"), near)
    description = str(details.get("description") or "")
    if "number of provided arguments" in description:
        hint = "wrong number of arguments to a function; see the function list"
    else:
        hint = "check for a missing value, operator, comma or parenthesis"
    return RuleError(
        "无法读取规则 / the rule cannot be read" + (f" at '{near}'" if near else ""),
        position=position,
        hint=hint,
        length=len(near) or None,
    )


def _offset(text: str, line: object, col: object, near: str) -> int | None:
    """1-based character offset of the start of ``near``, from sqlglot's line and end column."""
    if not isinstance(line, int) or not isinstance(col, int):
        return None
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return None
    start = sum(len(previous) + 1 for previous in lines[: line - 1]) + col - len(near) + 1
    return max(start, 1)
