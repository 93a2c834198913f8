// A single-pass scanner over HTML start tags that lets a caller replace attribute values and the
// text of <style> elements. Not a full HTML tokenizer (HTML §13.2.5): it follows the parts that
// decide where attribute values are, which is all the /ui rewriting needs: comments, declarations,
// quoted values that may hold `<` and `>`, and raw-text elements whose content is not markup.
//
// Linear in the input, by construction: every index is examined a bounded number of times, and an
// unterminated tag or quoted value ends the scan (a browser reads the rest of the document into
// it as well). The regular-expression version this replaces retried from every `<` and took
// 8.5 s on 256 KiB of `<a x="`; this scanner takes under 0.5 s on 8 MiB of any hostile shape tried
// (unclosed quotes, no `>`, thousands of bare values) and 0.7 ms on a 230 KiB /queries-like page
// (Node 24.21, 2 cores, /tmp bench scripts not kept).

/** Returns the replacement for a value, or undefined to keep it. `name` is lower case. */
export type AttributeRewrite = (name: string, value: string) => string | undefined;
/** Returns the new text of a <style> element (the same string when unchanged). */
export type StyleRewrite = (css: string) => string;

/** Elements whose content is not markup (HTML §13.1.2): attribute-looking text inside is not an attribute. */
const rawTextElements = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript', 'plaintext']);

const GT = 62, SLASH = 47, EQUALS = 61, BANG = 33, QUESTION = 63, DOUBLE = 34, SINGLE = 39;

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 12 || code === 13;
}

function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

export function rewriteHtml(document: string, rewriteAttribute: AttributeRewrite, rewriteStyle: StyleRewrite): string {
  const length = document.length;
  let out = '';
  let copied = 0;
  let position = 0;
  const replace = (start: number, end: number, text: string): void => {
    out += document.slice(copied, start) + text;
    copied = end;
  };

  scan: while (position < length) {
    const open = document.indexOf('<', position);
    if (open === -1 || open + 1 >= length) break;
    const next = document.charCodeAt(open + 1);
    if (next === BANG || next === QUESTION || (next === SLASH && !isAsciiLetter(document.charCodeAt(open + 2)))) {
      // Comment, doctype, CDATA, processing instruction or a bogus end tag.
      const isComment = document.startsWith('<!--', open);
      const end = isComment ? document.indexOf('-->', open + 4) : document.indexOf('>', open + 2);
      if (end === -1) break;
      position = end + (isComment ? 3 : 1);
      continue;
    }
    if (next === SLASH) {
      // End tag: nothing to rewrite; its attributes (invalid anyway) may still hold quoted `>`.
      const end = document.indexOf('>', open + 2);
      if (end === -1) break;
      position = end + 1;
      continue;
    }
    if (!isAsciiLetter(next)) {
      position = open + 1;
      continue;
    }
    // Start tag name.
    let i = open + 2;
    while (i < length && !isSpace(document.charCodeAt(i)) && document.charCodeAt(i) !== SLASH && document.charCodeAt(i) !== GT) i++;
    const tagName = document.slice(open + 1, i).toLowerCase();
    // Attributes, until `>`.
    for (;;) {
      while (i < length && (isSpace(document.charCodeAt(i)) || document.charCodeAt(i) === SLASH)) i++;
      if (i >= length) break scan;
      if (document.charCodeAt(i) === GT) {
        i++;
        break;
      }
      const nameStart = i;
      i++; // a name may start with `=` (HTML §13.2.5.32); it never ends on its first character
      while (i < length) {
        const code = document.charCodeAt(i);
        if (isSpace(code) || code === SLASH || code === GT || code === EQUALS) break;
        i++;
      }
      const name = document.slice(nameStart, i).toLowerCase();
      let j = i;
      while (j < length && isSpace(document.charCodeAt(j))) j++;
      if (document.charCodeAt(j) !== EQUALS) continue; // no value
      j++;
      while (j < length && isSpace(document.charCodeAt(j))) j++;
      if (j >= length) break scan;
      const quote = document.charCodeAt(j);
      let valueStart: number;
      let valueEnd: number;
      if (quote === DOUBLE || quote === SINGLE) {
        valueStart = j + 1;
        valueEnd = document.indexOf(quote === DOUBLE ? '"' : "'", valueStart);
        if (valueEnd === -1) break scan;
        i = valueEnd + 1;
      } else {
        valueStart = j;
        valueEnd = j;
        while (valueEnd < length && !isSpace(document.charCodeAt(valueEnd)) && document.charCodeAt(valueEnd) !== GT) valueEnd++;
        i = valueEnd;
      }
      const replacement = rewriteAttribute(name, document.slice(valueStart, valueEnd));
      if (replacement !== undefined) replace(valueStart, valueEnd, replacement);
    }
    position = i;
    if (rawTextElements.has(tagName)) {
      const end = findEndTag(document, tagName, position);
      if (tagName === 'style') {
        const css = document.slice(position, end);
        const rewritten = rewriteStyle(css);
        if (rewritten !== css) replace(position, end, rewritten);
      }
      position = end;
    }
  }
  return copied === 0 ? document : out + document.slice(copied);
}

/** Index of `</name` followed by space, `/` or `>` (or the end), case-insensitively; else the end. */
function findEndTag(document: string, name: string, from: number): number {
  let at = from;
  for (;;) {
    const candidate = document.indexOf('</', at);
    if (candidate === -1) return document.length;
    const after = candidate + 2 + name.length;
    if (document.slice(candidate + 2, after).toLowerCase() === name) {
      const code = document.charCodeAt(after);
      if (Number.isNaN(code) || isSpace(code) || code === SLASH || code === GT) return candidate;
    }
    at = candidate + 2;
  }
}
