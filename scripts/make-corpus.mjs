#!/usr/bin/env node
// Writes the hostile-input corpus of test/corpus/: one file per case (test/corpus/README.md lists
// each case and its expected outcome; test/corpus/cases.json holds the expectations the test
// suite checks). Deterministic (a seeded PRNG, no dependencies), so the committed small files can
// be checked against it. The large cases (`*.large.*`, up to 64 MiB) are never committed: the
// tests generate them into a temporary folder.
//
//   node scripts/make-corpus.mjs                  the small cases, into test/corpus/
//   node scripts/make-corpus.mjs --out DIR        the small cases, into DIR
//   node scripts/make-corpus.mjs --large --out DIR   the large cases only, into DIR
//   node scripts/make-corpus.mjs --out DIR NAME...   only the named files
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { once } from 'node:events'
import { prng } from './prng.mjs'

const args = process.argv.slice(2)
let out
let large = false
const only = []
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out') out = args[++i]
  else if (args[i] === '--large') large = true
  else if (args[i].startsWith('-')) { process.stderr.write(`make-corpus: unknown option ${args[i]}\n`); process.exit(2) } else only.push(args[i])
}
if (out === undefined && large) { process.stderr.write('make-corpus: --large needs --out DIR (the large files are never committed)\n'); process.exit(2) }
out ??= 'test/corpus'


// Lines as bytes: u() is UTF-8 text, b() is latin1 (one byte per char: '\xff' is the byte 0xff),
// for bytes that are not valid UTF-8. Each takes its line ending (default LF).
const u = (text, eol = '\n') => Buffer.from(text + eol, 'utf8')
const b = (text, eol = '\n') => Buffer.from(text + eol, 'latin1')
const nest = (depth, open, close, inner) => open.repeat(depth) + inner + close.repeat(depth)

/** Small cases: name -> bytes. */
const SMALL = {
  'empty.csv': () => Buffer.alloc(0),

  'only-newlines.csv': () => Buffer.concat([u(''), u(''), u('', '\r\n'), u('')]),

  'binary-noise.bin': () => {
    const rand = prng(0x5e5)
    const buf = Buffer.alloc(16384)
    for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(rand() * 256)
    return buf
  },

  'invalid-utf8.csv': () => Buffer.concat([
    u('1000,ok,1'),
    b('1001,dev-\xff,2'), //                a byte that never starts a character: one U+FFFD
    b('1002,dev-\xf0\x9f\x98,3'), //        a 4-byte sequence cut short: one U+FFFD
    b('1003,bad-\xed\xa0\x80,4'), //        an encoded surrogate: three U+FFFD
    b('1004,bad-\xc0\xaf,5'), //            an overlong '/': two U+FFFD
    b('1005,dev,1\xff'), //                 in a number: rejected
    b('100\xff6,dev,1'), //                 in a time: rejected
    b('\xfe\xff\xfe'), //                   a UTF-16 BOM and nothing else
    b('1007,\x80\x80\x80,7'), //            lone continuation bytes
    u('1008,end,8'),
    b('1009,cut-\xe2', '') //               a sequence cut by the end of the file, no LF
  ]),

  'nul-bytes.csv': () => Buffer.concat([
    b('1000,a\x00b,1'), //                  NUL inside a string: data
    b('\x00\x00\x00'),
    b('1001,dev,\x00'),
    b('1002\x00,dev,1'),
    b('1003,\x00,3'), //                    a sensor id that is one NUL
    b('\x00,\x00,\x00'),
    u('1004,z,4')
  ]),

  'lone-cr.csv': () => Buffer.concat([
    u('1000,a,1\r1001,a,2\r1002,a,3'), //   lone CRs do not end lines: one line of 7 fields
    u('1003,c\rr,4'), //                    a CR inside a sensor id: data
    u('1004,d,5', '\r\n'), //               CRLF ends a line
    u('1005,e,6\r', '\r\n'), //             only the CR before LF goes: value "6\r"
    u('', '\r\n'), //                       an empty CRLF line
    u('\r'), //                             a line that is one CR
    u('1006,f,7', '\r') //                  last line, no LF: its final CR goes
  ]),

  'huge-numbers.csv': () => Buffer.concat([
    u('1000,a,1' + '0'.repeat(4999)), //               5000 digits: Infinity, rejected
    u('1001,a,' + '1'.repeat(300)), //                 300 digits: 1.1e299, finite
    u('1002,a,0.' + '0'.repeat(4999) + '1'), //        underflows to 0, as Number() reads it
    u('1003,a,3.' + '14159265358979'.repeat(200)), //  2800 decimals: 3.14159...
    u('1'.repeat(1000) + ',a,1'), //                   a 1000-digit time: rejected
    u('1004,a,-' + '0'.repeat(3000) + '1'), //         leading zeros: -1
    u('1005,a,1e' + '0'.repeat(3000) + '5'), //        a 3001-digit exponent that is 5
    u('1006,a,1e' + '9'.repeat(3000)), //              a huge exponent: Infinity, rejected
    u('1007,a,1e-' + '9'.repeat(3000)) //              a huge negative exponent: 0
  ]),

  'overflow.csv': () => Buffer.concat([
    u('1000,a,1e308'),
    u('1001,a,1.7976931348623157e308'), //  the largest double
    u('1002,a,1.7976931348623159e308'), //  rounds to Infinity: rejected
    u('1003,a,1e309'),
    u('1004,a,-1e309'),
    u('1005,a,2e308'),
    u('1006,a,4.9e-324'), //                the smallest subnormal
    u('1007,a,1e-400') //                   underflows to 0
  ]),

  'overflow.jsonl': () => Buffer.concat([
    u('{"v":1e308}'),
    u('{"v":1e309}'),
    u('{"v":-1e309}'),
    u('{"nested":{"v":[1,2e308]}}'),
    u('{"v":1e-400}'),
    u('{"v":123456789012345678901234567890}'), // finite, rounded to a double as JSON.parse does
    u('{"v":1}')
  ]),

  'overflow.kv': () => Buffer.concat([
    u('v=1e308'),
    u('v=1e309'),
    u('v=-1e999'),
    u('v=1 w=1e309') //                     an untyped key keeps the text: w is "1e309"
  ]),

  'nan-inf.csv': () => Buffer.concat([
    ...['NaN', 'nan', '-nan', 'inf', '-inf', '+inf', 'Infinity', '-Infinity', 'INF', 'infinity', '1.#INF', '1.#QNAN',
      'nan(0x7ff8)', '0x10', '1_000', '∞', '1e', '.'].map((v, i) => u(`${1000 + i},a,${v}`)),
    u('2000,a,1.5')
  ]),

  'nan-inf.jsonl': () => Buffer.concat([
    u('{"v":NaN}'),
    u('{"v":Infinity}'),
    u('{"v":-Infinity}'),
    u('{"v":"NaN"}'), //                    a string: kept as text
    u('{"v":null}'),
    u('{"v":1}')
  ]),

  'nan-inf.kv': () => Buffer.concat([
    u('v=NaN'),
    u('v=inf'),
    u('v=-Infinity'),
    u('v=1 x=NaN') //                       an untyped key keeps the text
  ]),

  'bom-middle.csv': () => Buffer.concat([
    u('\uFEFF1000,a,1'), //                 a BOM at the very start is skipped
    u('\uFEFF1001,a,2'), //                 anywhere else it is data: a bad time
    u('1002,\uFEFFb,3'), //                 part of a sensor id
    u('1003,c,\uFEFF4'), //                 a bad float
    u('\uFEFF'),
    u('1004,d,5')
  ]),

  'time-jumps.csv': () => Buffer.concat([
    u('1700000000000,a,1'),
    u('1700000000500,a,2'),
    u('1900000000000,a,3'), //              six years ahead
    u('1700000001000,a,4'), //              six years back: late
    u('1000,a,5'), //                       back to 1970: late
    u('999999999999999,a,6'), //            year 33658, the largest time
    u('1700000002000,b,7'), //              late
    u('1000000000000000,a,8') //            16 digits: not a time
  ]),

  'deep-json.jsonl': () => Buffer.concat([
    u(nest(99, '{"a":', '}', '{"b":1}')), //  100 levels: the limit, kept
    u(nest(100, '{"a":', '}', '{"b":1}')), // 101 levels: too deep
    u(nest(2000, '[', ']', '')), //           not an object
    u(`{"a":${nest(1000, '[', ']', '1')}}`), // too deep inside a field
    u(nest(3000, '{"a":', '}', '1')), //      too deep
    u('{"ok":1}')
  ]),

  'rfc4180.csv': () => Buffer.concat([
    u('1000,a,plain,1'),
    u('1001,"b","quoted",2'),
    u('1002,c,"with, comma",3'),
    u('1003,d,"with ""quotes""",4'),
    u('1004,e,"multi'), //                  a field holding a line break (RFC 4180)
    u('line",5'),
    u('1005,f,"crlf', '\r\n'), //           a CRLF inside a field
    u('inside",6'),
    u('1006,g,"",7'), //                    an empty string: rejected by the string type
    u('1007,h,mid"quote,8'), //             a quote inside an unquoted field is data
    u('1008,i,"x"y,9'), //                  text after a closing quote
    u('1009,j,too,many,fields,10'),
    u('1010,k,2'),
    u('1011,"l,"",""",x,11'), //            sensor id `l,","`
    u('1012,m,"unterminated,12') //         never closed
  ]),

  'many-fields.jsonl': () => {
    const parts = []
    for (let i = 0; i < 4000; i++) parts.push(`"k${i}":${i}`)
    return u(`{${parts.join(',')}}`)
  },

  'many-fields.kv': () => {
    const parts = []
    for (let i = 0; i < 4000; i++) parts.push(`k${i}=${i}`)
    return u(parts.join(' '))
  }
}

/** Large cases: name -> async writer (streamed, so the generator holds little). */
const LARGE = {
  // 64 MiB without a newline (the 1 GiB case runs in-process: test/reliability/hostile.test.ts).
  'long-line.large.txt': async (path) => {
    const chunk = Buffer.alloc(1 << 20, 'x')
    await stream(path, function * () { for (let i = 0; i < 64; i++) yield chunk })
  },

  // A 100 KB line between two good ones: dropped, its neighbours kept.
  'too-long-middle.large.csv': async (path) => {
    writeFileSync(path, Buffer.concat([u('1000,a,1'), u('x'.repeat(100_000)), u('1001,b,2')]))
  },

  // A million distinct sensor ids in one second: a million keys open in one window.
  'million-keys.large.csv': async (path) => {
    await stream(path, function * () {
      let lines = []
      for (let i = 0; i < 1_000_000; i++) {
        lines.push(`${1700000000000 + (i % 1000)},k${i},${i % 100}`)
        if (lines.length === 10_000) { yield Buffer.from(lines.join('\n') + '\n'); lines = [] }
      }
    })
  },

  // JSON nested a hundred thousand levels deep: arrays, then objects.
  'deep-json.large.jsonl': async (path) => {
    writeFileSync(path, Buffer.concat([u(nest(100_000, '[', ']', '')), u(nest(100_000, '{"a":', '}', '1')), u('{"ok":1}')]))
  }
}

async function stream (path, gen) {
  const ws = createWriteStream(path)
  for (const chunk of gen()) if (!ws.write(chunk)) await once(ws, 'drain')
  ws.end()
  await once(ws, 'finish')
}

mkdirSync(out, { recursive: true })
const table = large ? LARGE : SMALL
const names = only.length > 0 ? only : Object.keys(table)
for (const name of names) {
  const make = SMALL[name] ?? LARGE[name]
  if (make === undefined) { process.stderr.write(`make-corpus: no case named ${name}\n`); process.exit(2) }
  const path = join(out, name)
  if (name in LARGE) await make(path)
  else writeFileSync(path, make())
}
process.stderr.write(`make-corpus: wrote ${names.length} file${names.length === 1 ? '' : 's'} into ${out}\n`)
