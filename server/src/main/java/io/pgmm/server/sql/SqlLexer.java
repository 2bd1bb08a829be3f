package io.pgmm.server.sql;

/**
 * Cuts SQL text into tokens the way PostgreSQL's scanner ({@code scan.l}) draws their borders, without
 * building them: the current token is {@link #type}, {@link #start} and {@link #end}, and {@link #next()}
 * allocates nothing. Whitespace, {@code --} comments and nested {@code /* *}{@code /} comments are skipped.
 * Quoted text ({@code '…'} with {@code ''}, {@code E'…'} with backslash escapes, {@code $tag$…$tag$},
 * {@code "…"}) is one token, so nothing inside it is ever taken for a keyword or a semicolon. An unterminated
 * quote or comment runs to the end of the text (PostgreSQL rejects such text, so nothing of it runs).
 *
 * <p>Assumes {@code standard_conforming_strings = on} (PostgreSQL's default since 9.1): in a plain
 * {@code '…'} a backslash is an ordinary character.
 *
 * <p>{@link #depth} is the parenthesis depth of the current token; {@code (} and {@code )} themselves sit at
 * the outer depth.
 */
final class SqlLexer {

  static final int EOF = 0;
  /** An unquoted identifier or keyword. */
  static final int WORD = 1;
  /** A double-quoted identifier. */
  static final int QUOTED_IDENTIFIER = 2;
  /** A string constant in any of its forms, dollar-quoted included. */
  static final int STRING = 3;
  static final int NUMBER = 4;
  /** {@code $1}, a parameter of the extended protocol. */
  static final int PARAMETER = 5;
  /** Any other single character: punctuation or one character of an operator. */
  static final int SYMBOL = 6;

  private final String sql;
  private final int limit;
  private int pos;
  private boolean openPending;

  int type;
  int start;
  int end;
  int depth;

  SqlLexer(String sql, int from, int to) {
    this.sql = sql;
    this.pos = from;
    this.limit = to;
  }

  String sql() {
    return sql;
  }

  /** Moves to the next token and returns its type. */
  int next() {
    if (openPending) {
      depth++;
      openPending = false;
    }
    skipSpaceAndComments();
    start = pos;
    if (pos >= limit) {
      type = EOF;
      end = pos;
      return EOF;
    }
    char c = sql.charAt(pos);
    if (c == '\'') {
      pos = skipQuoted(pos + 1, '\'', false);
      type = STRING;
    } else if (c == '"') {
      pos = skipQuoted(pos + 1, '"', false);
      type = QUOTED_IDENTIFIER;
    } else if (c == '$') {
      lexDollar();
    } else if (isIdentifierStart(c)) {
      pos++;
      while (pos < limit && isIdentifierPart(sql.charAt(pos))) {
        pos++;
      }
      if (pos - start == 1 && (c == 'e' || c == 'E') && pos < limit && sql.charAt(pos) == '\'') {
        pos = skipQuoted(pos + 1, '\'', true);
        type = STRING;
      } else {
        type = WORD;
      }
    } else if (isDigit(c) || (c == '.' && pos + 1 < limit && isDigit(sql.charAt(pos + 1)))) {
      pos++;
      while (pos < limit && (isIdentifierPart(sql.charAt(pos)) || sql.charAt(pos) == '.')) {
        pos++;
      }
      type = NUMBER;
    } else {
      pos++;
      type = SYMBOL;
      if (c == '(') {
        openPending = true;
      } else if (c == ')') {
        depth--;
      }
    }
    end = pos;
    return type;
  }

  /** The current token and the depth it sits at, to come back to with {@link #reset(long)}. */
  long mark() {
    return ((long) depth << 32) | (start & 0xffffffffL);
  }

  /** Makes the token saved by {@link #mark()} current again. */
  void reset(long mark) {
    pos = (int) mark;
    depth = (int) (mark >> 32);
    openPending = false;
    next();
  }

  /** Whether the current token is the unquoted keyword {@code lowerCaseKeyword} (ASCII case-insensitive). */
  boolean is(String lowerCaseKeyword) {
    return type == WORD && regionIs(start, end, lowerCaseKeyword);
  }

  /** Like {@link #is} but also accepts the double-quoted spelling ({@code "nextval"}). */
  boolean isName(String lowerCaseName) {
    if (type == QUOTED_IDENTIFIER) {
      int n = lowerCaseName.length();
      return end - start == n + 2 && sql.regionMatches(start + 1, lowerCaseName, 0, n);
    }
    return is(lowerCaseName);
  }

  boolean isAny(String... lowerCaseKeywords) {
    if (type != WORD) {
      return false;
    }
    for (String keyword : lowerCaseKeywords) {
      if (regionIs(start, end, keyword)) {
        return true;
      }
    }
    return false;
  }

  boolean isSymbol(char c) {
    return type == SYMBOL && sql.charAt(start) == c;
  }

  /**
   * The value the current token names: an unquoted word folded to lower case, a quoted identifier or a
   * string constant without its quotes and escapes. Allocates; call it only for names the caller keeps.
   */
  String value() {
    switch (type) {
      case WORD:
        return lowerAscii(sql.substring(start, end));
      case QUOTED_IDENTIFIER:
        return unquote(start + 1, '"', false);
      case STRING: {
        char c = sql.charAt(start);
        if (c == '$') {
          int tagEnd = sql.indexOf('$', start + 1) + 1;
          int tagLength = tagEnd - start;
          return sql.substring(tagEnd, Math.max(tagEnd, end - tagLength));
        }
        if (c == 'e' || c == 'E') {
          return unquote(start + 2, '\'', true);
        }
        return unquote(start + 1, '\'', false);
      }
      default:
        return sql.substring(start, end);
    }
  }

  private boolean regionIs(int from, int to, String lowerCaseKeyword) {
    int n = lowerCaseKeyword.length();
    if (to - from != n) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = sql.charAt(from + i);
      char k = lowerCaseKeyword.charAt(i);
      if (c != k && !(c >= 'A' && c <= 'Z' && c + ('a' - 'A') == k)) {
        return false;
      }
    }
    return true;
  }

  private void skipSpaceAndComments() {
    while (pos < limit) {
      char c = sql.charAt(pos);
      if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\u000B') {
        pos++;
      } else if (c == '-' && pos + 1 < limit && sql.charAt(pos + 1) == '-') {
        pos += 2;
        while (pos < limit && sql.charAt(pos) != '\n' && sql.charAt(pos) != '\r') {
          pos++;
        }
      } else if (c == '/' && pos + 1 < limit && sql.charAt(pos + 1) == '*') {
        skipBlockComment();
      } else {
        return;
      }
    }
  }

  /** Block comments nest in PostgreSQL, unlike in the SQL standard's C-like reading. */
  private void skipBlockComment() {
    int nesting = 0;
    while (pos < limit) {
      char c = sql.charAt(pos);
      if (c == '/' && pos + 1 < limit && sql.charAt(pos + 1) == '*') {
        nesting++;
        pos += 2;
      } else if (c == '*' && pos + 1 < limit && sql.charAt(pos + 1) == '/') {
        nesting--;
        pos += 2;
        if (nesting == 0) {
          return;
        }
      } else {
        pos++;
      }
    }
  }

  /** Returns the position after the closing quote; {@code p} is just after the opening one. */
  private int skipQuoted(int p, char quote, boolean backslashEscapes) {
    while (p < limit) {
      char c = sql.charAt(p);
      if (backslashEscapes && c == '\\') {
        p += 2;
      } else if (c == quote) {
        if (p + 1 < limit && sql.charAt(p + 1) == quote) {
          p += 2;
        } else {
          return p + 1;
        }
      } else {
        p++;
      }
    }
    return limit;
  }

  /** {@code $1} is a parameter, {@code $$} or {@code $tag$} opens a dollar quote, any other {@code $} is a symbol. */
  private void lexDollar() {
    int p = pos + 1;
    if (p < limit && isDigit(sql.charAt(p))) {
      while (p < limit && isDigit(sql.charAt(p))) {
        p++;
      }
      pos = p;
      type = PARAMETER;
      return;
    }
    if (p < limit && isIdentifierStart(sql.charAt(p))) {
      p++;
      while (p < limit && isIdentifierPart(sql.charAt(p)) && sql.charAt(p) != '$') {
        p++;
      }
    }
    if (p >= limit || sql.charAt(p) != '$') {
      pos++;
      type = SYMBOL;
      return;
    }
    int tagLength = p + 1 - pos;
    int from = p + 1;
    while (true) {
      int i = sql.indexOf('$', from);
      if (i < 0 || i + tagLength > limit) {
        pos = limit;
        break;
      }
      if (sql.regionMatches(i, sql, pos, tagLength)) {
        pos = i + tagLength;
        break;
      }
      from = i + 1;
    }
    type = STRING;
  }

  private String unquote(int from, char quote, boolean backslashEscapes) {
    StringBuilder out = new StringBuilder(end - from);
    int p = from;
    while (p < end) {
      char c = sql.charAt(p);
      if (backslashEscapes && c == '\\' && p + 1 < end) {
        out.append(sql.charAt(p + 1));
        p += 2;
      } else if (c == quote) {
        if (p + 1 < end && sql.charAt(p + 1) == quote) {
          out.append(quote);
          p += 2;
        } else {
          break;
        }
      } else {
        out.append(c);
        p++;
      }
    }
    return out.toString();
  }

  static String lowerAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        char[] chars = s.toCharArray();
        for (int j = i; j < chars.length; j++) {
          if (chars[j] >= 'A' && chars[j] <= 'Z') {
            chars[j] += 'a' - 'A';
          }
        }
        return new String(chars);
      }
    }
    return s;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isIdentifierStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
  }

  private static boolean isIdentifierPart(char c) {
    return isIdentifierStart(c) || isDigit(c) || c == '$';
  }
}
