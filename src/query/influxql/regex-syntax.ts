/**
 * InfluxDB compiles every `/regex/` while parsing, with Go's RE2 syntax (regexp/syntax, Perl flags, Go 1.19 as
 * Debian builds InfluxDB 1.6), and a bad one fails the whole query with Go's message, e.g.
 * ``error parsing regexp: missing closing ): `a(` ``. This checks the same syntax and returns the same message,
 * so a regex the planner gets is valid RE2. It only validates: no matching engine, no recursion on the input.
 */

const CATEGORIES = new Set(
  'C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(
    ' ',
  ),
);

/** Go 1.19's unicode.Scripts (Unicode 13.0). */
const SCRIPTS = new Set(
  `Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali Bhaiksuki
  Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian Chakma Cham Cherokee
  Chorasmian Common Coptic Cuneiform Cypriot Cyrillic Deseret Devanagari Dives_Akuru Dogra Duployan
  Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic Grantha Greek Gujarati Gunjala_Gondi
  Gurmukhi Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana Imperial_Aramaic Inherited
  Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi Kannada Katakana Kayah_Li Kharoshthi
  Khitan_Small_Script Khmer Khojki Khudawadi Lao Latin Lepcha Limbu Linear_A Linear_B Lisu Lycian Lydian Mahajani
  Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi Medefaidrin Meetei_Mayek Mende_Kikakui
  Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani Myanmar Nabataean Nandinagari New_Tai_Lue
  Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian Old_Italic Old_North_Arabian Old_Permic
  Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Oriya Osage Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau
  Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra Sharada Shavian Siddham SignWriting
  Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet
  Takri Tamil Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Ugaritic Vai Wancho Warang_Citi Yezidi Yi
  Zanabazar_Square`.split(/\s+/),
);

const POSIX_CLASSES = new Set(
  ['alnum', 'alpha', 'ascii', 'blank', 'cntrl', 'digit', 'graph', 'lower', 'print', 'punct', 'space', 'upper']
    .concat(['word', 'xdigit'])
    .flatMap((n) => [`[:${n}:]`, `[:^${n}:]`]),
);

const MAX_HEIGHT = 1000;
const MAX_REPEAT = 1000;

class RegexSyntaxError extends Error {}

/** A parsed piece, enough to check repeat counts and nesting as Go does. */
interface Node {
  /** `repeat` is `{n,m}` (the only kind Go counts copies of); `star` is `*`, `+`, `?`. */
  readonly kind: 'literal' | 'leaf' | 'group' | 'concat' | 'repeat' | 'star';
  readonly height: number;
  readonly subs: readonly Node[];
  readonly max?: number;
  readonly min?: number;
}
type Item = Node | 'lparen' | 'vbar';

const leaf = (kind: 'literal' | 'leaf'): Node => ({ kind, height: 1, subs: [] });

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isAlnum = (c: string) => /^[0-9A-Za-z]$/.test(c);
const unhex = (c: string | undefined) =>
  c !== undefined && /^[0-9A-Fa-f]$/.test(c) ? Number.parseInt(c, 16) : -1;

/** Go's error text for an invalid RE2 regexp, or undefined when it compiles. */
export function checkRegexSyntax(source: string): string | undefined {
  try {
    new Checker(source).parse();
    return undefined;
  } catch (err) {
    if (err instanceof RegexSyntaxError) return err.message;
    throw err;
  }
}

class Checker {
  private readonly s: string[];
  private readonly stack: Item[] = [];

  constructor(private readonly whole: string) {
    this.s = [...whole];
  }

  private fail(code: string, from: number, to: number): never {
    throw new RegexSyntaxError(`error parsing regexp: ${code}: \`${this.s.slice(from, to).join('')}\``);
  }

  private failWhole(code: string): never {
    throw new RegexSyntaxError(`error parsing regexp: ${code}: \`${this.whole}\``);
  }

  private push(node: Node): void {
    if (node.height > MAX_HEIGHT) this.failWhole('expression nests too deeply');
    this.stack.push(node);
  }

  parse(): void {
    const s = this.s;
    let i = 0;
    let lastRepeat = -1;
    while (i < s.length) {
      let repeat = -1;
      const c = s[i] as string;
      if (c === '(') {
        if (s[i + 1] === '?') i = this.perlFlags(i);
        else {
          this.stack.push('lparen');
          i++;
        }
      } else if (c === '|') {
        this.collapse();
        this.stack.push('vbar');
        i++;
      } else if (c === ')') {
        this.rightParen();
        i++;
      } else if (c === '*' || c === '+' || c === '?') {
        const before = i;
        const after = this.repeat(0, 0, before, i + 1, lastRepeat);
        repeat = before;
        i = after;
      } else if (c === '{') {
        const r = this.parseRepeat(i);
        if (r === undefined) {
          this.push(leaf('literal'));
          i++;
        } else {
          const { min, max, after } = r;
          if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
            this.fail('invalid repeat count', i, after);
          }
          const before = i;
          i = this.repeat(min, max, before, after, lastRepeat);
          repeat = before;
        }
      } else if (c === '\\') {
        i = this.escapeOutsideClass(i);
      } else if (c === '[') {
        i = this.parseClass(i);
      } else {
        this.push(leaf(c === '^' || c === '$' || c === '.' ? 'leaf' : 'literal'));
        i++;
      }
      lastRepeat = repeat;
    }
    this.collapse();
    this.alternate();
    if (this.stack.includes('lparen')) this.failWhole('missing closing )');
  }

  /** Applies `*` `+` `?` `{n,m}` to the piece on top of the stack; returns where parsing continues. */
  private repeat(min: number, max: number, before: number, afterIn: number, lastRepeat: number): number {
    let after = afterIn;
    if (this.s[after] === '?') after++;
    if (lastRepeat >= 0) this.fail('invalid nested repetition operator', lastRepeat, after);
    const top = this.stack[this.stack.length - 1];
    if (top === undefined || top === 'lparen' || top === 'vbar') {
      this.fail('missing argument to repetition operator', before, after);
    }
    this.stack.pop();
    const brace = this.s[before] === '{';
    const node: Node = { kind: brace ? 'repeat' : 'star', height: top.height + 1, subs: [top], min, max };
    if (brace && (min >= 2 || max >= 2) && !repeatIsValid(node, MAX_REPEAT)) {
      this.fail('invalid repeat count', before, after);
    }
    this.push(node);
    return after;
  }

  /** `{n}`, `{n,}`, `{n,m}`; undefined when it is not one (then `{` is a literal). */
  private parseRepeat(i: number): { min: number; max: number; after: number } | undefined {
    const s = this.s;
    let j = i + 1;
    const int = (): number | undefined => {
      if (!isDigit(s[j])) return undefined;
      if (s[j] === '0' && isDigit(s[j + 1])) return undefined;
      let n = 0;
      while (isDigit(s[j])) {
        n = n >= 1e8 ? -1 : n * 10 + Number(s[j]);
        if (n < 0) {
          while (isDigit(s[j])) j++;
          return -1;
        }
        j++;
      }
      return n;
    };
    let min = int();
    if (min === undefined || j >= s.length) return undefined;
    let max = min;
    if (s[j] === ',') {
      j++;
      if (j >= s.length) return undefined;
      if (s[j] === '}') max = -1;
      else {
        const m = int();
        if (m === undefined) return undefined;
        max = m;
        // Too big a number: make min invalid, as Go does.
        if (m < 0) min = -1;
      }
    }
    if (s[j] !== '}') return undefined;
    return { min, max, after: j + 1 };
  }

  /** `(?flags)`, `(?flags:…)`, `(?P<name>…)`; returns where parsing continues. */
  private perlFlags(start: number): number {
    const s = this.s;
    if (s.length - start > 4 && s[start + 2] === 'P' && s[start + 3] === '<') {
      const end = s.indexOf('>', start);
      if (end < 0) this.fail('invalid named capture', start, s.length);
      const name = s.slice(start + 4, end).join('');
      if (name === '' || !/^[0-9A-Za-z_]+$/.test(name)) this.fail('invalid named capture', start, end + 1);
      this.stack.push('lparen');
      return end + 1;
    }
    let t = start + 2;
    let sign = 1;
    let sawFlag = false;
    while (t < s.length) {
      const c = s[t++] as string;
      if (c === 'i' || c === 'm' || c === 's' || c === 'U') sawFlag = true;
      else if (c === '-') {
        if (sign < 0) break;
        sign = -1;
        sawFlag = false;
      } else if (c === ':' || c === ')') {
        if (sign < 0 && !sawFlag) break;
        if (c === ':') this.stack.push('lparen');
        return t;
      } else break;
    }
    return this.fail('invalid or unsupported Perl syntax', start, t);
  }

  /** Pops the pieces above the last marker (`(`, and `|` unless `acrossBars`), first piece first. */
  private popPieces(acrossBars: boolean): Node[] {
    const items: Node[] = [];
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top === undefined || top === 'lparen' || (top === 'vbar' && !acrossBars)) break;
      this.stack.pop();
      if (top !== 'vbar') items.push(top);
    }
    return items.reverse();
  }

  /** One piece holding `items` (a concatenation or an alternation), as tall as Go's would be. */
  private join(items: Node[]): Node {
    let height = 0;
    for (const n of items) height = Math.max(height, n.height);
    return { kind: 'concat', height: height + 1, subs: items };
  }

  /** Collapses the pieces since the last `(` or `|` into one. */
  private collapse(): void {
    const items = this.popPieces(false);
    if (items.length === 1) this.stack.push(items[0] as Node);
    else if (items.length === 0 || items.every((n) => n.kind === 'literal')) this.stack.push(leaf('literal'));
    else this.push(this.join(items));
  }

  /** Joins `a|b|c` since the last `(` into one piece. */
  private alternate(): void {
    const alts = this.popPieces(true);
    if (alts.length === 1) this.stack.push(alts[0] as Node);
    else if (alts.length > 1) this.push(this.join(alts));
  }

  private rightParen(): void {
    this.collapse();
    this.alternate();
    const body = this.stack.pop();
    const open = body === 'lparen' ? body : this.stack.pop();
    if (open !== 'lparen') this.failWhole('unexpected )');
    const inner = body === 'lparen' || body === undefined || body === 'vbar' ? leaf('literal') : body;
    this.push({ kind: 'group', height: inner.height + 1, subs: [inner] });
  }

  private escapeOutsideClass(i: number): number {
    const s = this.s;
    const c1 = s[i + 1];
    if (c1 === 'A' || c1 === 'b' || c1 === 'B' || c1 === 'z') {
      this.push(leaf('leaf'));
      return i + 2;
    }
    if (c1 === 'C') this.fail('invalid escape sequence', i, i + 2);
    if (c1 === 'Q') {
      let j = i + 2;
      while (j < s.length && !(s[j] === '\\' && s[j + 1] === 'E')) {
        this.push(leaf('literal'));
        j++;
      }
      return j < s.length ? j + 2 : j;
    }
    const unicode = this.unicodeClass(i);
    if (unicode !== undefined) {
      this.push(leaf('leaf'));
      return unicode;
    }
    if (c1 !== undefined && 'dDsSwW'.includes(c1)) {
      this.push(leaf('leaf'));
      return i + 2;
    }
    const next = this.escape(i);
    this.push(leaf('literal'));
    return next;
  }

  /** `\pL`, `\p{Greek}`, `\P{^Lu}`; undefined when `s[i..]` is not one. */
  private unicodeClass(i: number): number | undefined {
    const s = this.s;
    if (s[i] !== '\\' || (s[i + 1] !== 'p' && s[i + 1] !== 'P')) return undefined;
    let name: string;
    let end: number;
    if (s[i + 2] !== '{') {
      end = Math.min(i + 3, s.length);
      name = s.slice(i + 2, end).join('');
    } else {
      const close = s.indexOf('}', i);
      if (close < 0) this.fail('invalid character class range', i, s.length);
      end = close + 1;
      name = s.slice(i + 3, close).join('');
    }
    if (name.startsWith('^')) name = name.slice(1);
    if (name !== 'Any' && !CATEGORIES.has(name) && !SCRIPTS.has(name)) {
      this.fail('invalid character class range', i, end);
    }
    return end;
  }

  /** One escaped character (Go's parseEscape); returns where parsing continues. */
  private escape(i: number): number {
    const s = this.s;
    let t = i + 1;
    if (t >= s.length)
      throw new RegexSyntaxError('error parsing regexp: trailing backslash at end of expression: ``');
    const c = s[t++] as string;
    const invalid = (): never => this.fail('invalid escape sequence', i, t);
    const isOctal = (x: string | undefined) => x !== undefined && x >= '0' && x <= '7';
    if (c.length === 1 && c.charCodeAt(0) < 0x80 && !isAlnum(c)) return t;
    if (c >= '1' && c <= '7' && !isOctal(s[t])) return invalid();
    if (c >= '0' && c <= '7') {
      for (let k = 1; k < 3 && isOctal(s[t]); k++) t++;
      return t;
    }
    if (c === 'x') {
      if (t >= s.length) return invalid();
      const c2 = s[t++];
      if (c2 === '{') {
        let digits = 0;
        let value = 0;
        for (;;) {
          if (t >= s.length) return invalid();
          const h = s[t++];
          if (h === '}') break;
          const v = unhex(h);
          if (v < 0) return invalid();
          value = value * 16 + v;
          if (value > 0x10ffff) return invalid();
          digits++;
        }
        return digits === 0 ? invalid() : t;
      }
      const x = unhex(c2);
      const y = unhex(s[t]);
      if (t < s.length) t++;
      return x < 0 || y < 0 ? invalid() : t;
    }
    if ('afnrtv'.includes(c)) return t;
    return invalid();
  }

  /** A `[…]` class; returns where parsing continues. */
  private parseClass(start: number): number {
    const s = this.s;
    let t = start + 1;
    if (s[t] === '^') t++;
    let first = true;
    while (t >= s.length || s[t] !== ']' || first) {
      first = false;
      if (s[t] === '[' && s[t + 1] === ':' && s.length - t > 2) {
        const end = this.indexOfPair(t + 2, ':', ']');
        if (end >= 0) {
          const name = s.slice(t, end + 2).join('');
          if (!POSIX_CLASSES.has(name)) this.fail('invalid character class range', t, end + 2);
          t = end + 2;
          continue;
        }
      }
      const unicode = this.unicodeClass(t);
      if (unicode !== undefined) {
        t = unicode;
        continue;
      }
      if (s[t] === '\\' && s[t + 1] !== undefined && 'dDsSwW'.includes(s[t + 1] as string)) {
        t += 2;
        continue;
      }
      const rangeStart = t;
      const lo = this.classChar(t, start);
      t = lo.next;
      if (s[t] === '-' && t + 1 < s.length && s[t + 1] !== ']') {
        const hi = this.classChar(t + 1, start);
        t = hi.next;
        if (hi.value < lo.value) this.fail('invalid character class range', rangeStart, t);
      }
    }
    this.push(leaf('leaf'));
    return t + 1;
  }

  private indexOfPair(from: number, a: string, b: string): number {
    for (let j = from; j + 1 < this.s.length; j++) if (this.s[j] === a && this.s[j + 1] === b) return j;
    return -1;
  }

  /** One character of a class, escaped or not, with its code point for range checks. */
  private classChar(t: number, classStart: number): { value: number; next: number } {
    const s = this.s;
    if (t >= s.length) this.fail('missing closing ]', classStart, s.length);
    if (s[t] !== '\\') return { value: (s[t] as string).codePointAt(0) as number, next: t + 1 };
    const next = this.escape(t);
    return { value: escapeValue(s.slice(t, next)), next };
  }
}

/** The character a valid escape stands for (for class ranges such as `[\x00-\x1f]`). */
function escapeValue(esc: string[]): number {
  const c = esc[1] as string;
  const rest = esc.slice(2).join('');
  if (c >= '0' && c <= '7') return Number.parseInt(c + rest, 8);
  if (c === 'x') return Number.parseInt(rest.replace(/[{}]/g, ''), 16);
  const simple: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
  return simple[c] ?? (c.codePointAt(0) as number);
}

/** Go's repeatIsValid: nested repeats may not make more than `n` copies of their innermost piece. */
function repeatIsValid(node: Node, limit: number): boolean {
  let n = limit;
  if (node.kind === 'repeat') {
    let m = node.max as number;
    if (m === 0) return true;
    if (m < 0) m = node.min as number;
    if (m > n) return false;
    if (m > 0) n = Math.trunc(n / m);
  }
  return node.subs.every((sub) => repeatIsValid(sub, n));
}
