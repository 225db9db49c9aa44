import { describe, expect, it } from 'vitest';
import { QueryText, Scanner } from './lexer.js';
import { formatIdent, identNeedsQuotes, quoteIdent, quoteString, type Token } from './tokens.js';

/** Every token of `text` up to EOF, whitespace included. */
function tokens(text: string): Token[] {
  const s = new Scanner(new QueryText(text));
  const out: Token[] = [];
  for (;;) {
    const t = s.scan();
    out.push(t);
    if (t.tok === 'EOF') return out;
  }
}

const kinds = (text: string) => tokens(text).map((t) => (t.lit === '' ? t.tok : `${t.tok}:${t.lit}`));

describe('scanner', () => {
  it('keywords in any case, identifiers bare and quoted', () => {
    expect(kinds('select Foo_1 FROM "a \\"b\\" \\\\ \\n" "from"')).toEqual([
      'SELECT',
      'WS: ',
      'IDENT:Foo_1',
      'WS: ',
      'FROM',
      'WS: ',
      'IDENT:a "b" \\ \n',
      'WS: ',
      'IDENT:from',
      'EOF',
    ]);
    expect(kinds('and OR In TRUE false')).toEqual([
      'AND',
      'WS: ',
      'OR',
      'WS: ',
      'IN',
      'WS: ',
      'TRUE',
      'WS: ',
      'FALSE',
      'EOF',
    ]);
  });

  it('strings with escapes, and the bad ones', () => {
    expect(kinds("'it\\'s'")).toEqual(["STRING:it's", 'EOF']);
    expect(kinds("'abc")).toEqual(['BADSTRING:abc', 'EOF']);
    expect(kinds("'a\nb'")[0]).toBe('BADSTRING:a');
    expect(kinds("'a\\qb'")[0]).toBe('BADESCAPE:\\q');
  });

  it('integers, floats, durations (µ and u are microseconds) and what is left after them', () => {
    expect(kinds('42 1.5 .5 5. 10s 1h30m 1µ 1u 100ms 5x 1.5h')).toEqual([
      'INTEGER:42',
      'WS: ',
      'NUMBER:1.5',
      'WS: ',
      'NUMBER:.5',
      'WS: ',
      'NUMBER:5',
      'WS: ',
      'DURATIONVAL:10s',
      'WS: ',
      'DURATIONVAL:1h30m',
      'WS: ',
      'DURATIONVAL:1µ',
      'WS: ',
      'DURATIONVAL:1u',
      'WS: ',
      'DURATIONVAL:100ms',
      'WS: ',
      'DURATIONVAL:5x',
      'WS: ',
      'NUMBER:1.5',
      'IDENT:h',
      'EOF',
    ]);
  });

  it('operators, punctuation, comments, and illegal characters', () => {
    expect(
      kinds('+-*/%&|^ = != <> =~ !~ < <= > >= ( ) , ; . : :: ! @').filter((k) => !k.startsWith('WS')),
    ).toEqual([
      'ADD',
      'SUB',
      'MUL',
      'DIV',
      'MOD',
      'BITWISE_AND',
      'BITWISE_OR',
      'BITWISE_XOR',
      'EQ',
      'NEQ',
      'NEQ',
      'EQREGEX',
      'NEQREGEX',
      'LT',
      'LTE',
      'GT',
      'GTE',
      'LPAREN',
      'RPAREN',
      'COMMA',
      'SEMICOLON',
      'DOT',
      'COLON',
      'DOUBLECOLON',
      'ILLEGAL:!',
      'ILLEGAL:@',
      'EOF',
    ]);
    expect(kinds('a -- note\nb /* c */ c')).toEqual([
      'IDENT:a',
      'WS: ',
      'COMMENT',
      'IDENT:b',
      'WS: ',
      'COMMENT',
      'WS: ',
      'IDENT:c',
      'EOF',
    ]);
    expect(kinds('/* open')).toEqual(['ILLEGAL', 'EOF']);
  });

  it('regexes only where the parser asks, with \\/ as the one escape', () => {
    const s = new Scanner(new QueryText('/a\\/b\\d/'));
    expect(s.scanRegex()).toEqual({ tok: 'REGEX', pos: 0, lit: 'a/b\\d' });
    expect(new Scanner(new QueryText('/abc')).scanRegex().tok).toBe('BADREGEX');
  });

  it("positions follow InfluxDB: a string's is the character before its quote", () => {
    const t = tokens("a = 'x'");
    expect(t.map((x) => [x.tok, x.pos])).toEqual([
      ['IDENT', 0],
      ['WS', 1],
      ['EQ', 2],
      ['WS', 3],
      ['STRING', 3],
      ['EOF', 7],
    ]);
    // EOF after a word is read twice by InfluxDB's scanner, and so sits one past the end.
    expect(tokens('ab').at(-1)).toEqual({ tok: 'EOF', pos: 3, lit: '' });
  });

  it('counts lines and code points like InfluxDB, \\r\\n being one newline', () => {
    const text = new QueryText('ab\r\ncd\ré😀x');
    expect(text.runes.length).toBe(9);
    expect(text.lineChar(0)).toEqual({ line: 1, char: 1 });
    expect(text.lineChar(3)).toEqual({ line: 2, char: 1 });
    expect(text.lineChar(8)).toEqual({ line: 3, char: 3 });
    expect(text.offsetOf(8)).toBe(10);
    expect(text.offsetOf(9)).toBe(text.text.length);
  });
});

describe('quoting', () => {
  it('quotes names only when they need it', () => {
    expect(['cpu', '_x1', 'select', 'Field', 'a b', '1a', '', 'é'].map(identNeedsQuotes)).toEqual([
      false,
      false,
      true,
      true,
      true,
      true,
      false,
      true,
    ]);
    expect(formatIdent('a "b" \\ \n')).toBe('"a \\"b\\" \\\\ \\n"');
    expect(formatIdent('')).toBe('""');
    expect(quoteString("it's \\ \n")).toBe("'it\\'s \\\\ \\n'");
  });

  it('writes segments as InfluxDB does in its messages', () => {
    expect(quoteIdent('db', 'rp', 'm', 'x')).toBe('"db"."rp"."m".x');
    expect(quoteIdent('db', '', '', 'm')).toBe('"db"...m');
    expect(quoteIdent('', 'm')).toBe('"".m');
  });
});
