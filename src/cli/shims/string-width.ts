// Bundled in place of `string-width` (see scripts/build.mjs). The real package builds an
// emoji regex and an Intl.Segmenter when it loads and segments graphemes on every call, which
// cost the CLI about 10 ms per start for laying out help text that is plain ASCII. This counts
// code points after removing ANSI escapes, and counts East Asian wide and fullwidth characters as
// two columns; that is exact for sensorpipe's own help and close for anything else.
// eslint-disable-next-line no-control-regex
const ANSI = /[\u001B\u009B][[\]()#;?]*(?:(?:(?:;[-a-zA-Z\d/#&.:=?%@~_]+)*|[a-zA-Z\d]+(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\u0007|(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-nq-uy=><~])/g

export default function stringWidth (text: string): number {
  if (typeof text !== 'string' || text.length === 0) return 0
  // eslint-disable-next-line no-control-regex
  const plain = /[\u001B\u009B]/.test(text) ? text.replace(ANSI, '') : text
  let width = 0
  for (const ch of plain) {
    const c = ch.codePointAt(0)!
    if (c < 32 || (c >= 0x7f && c < 0xa0) || (c >= 0x300 && c < 0x370) || c === 0x200b) continue
    width += isWide(c) ? 2 : 1
  }
  return width
}

function isWide (c: number): boolean {
  return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
    (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff) || (c >= 0x20000 && c <= 0x3fffd)
}
