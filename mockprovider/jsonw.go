package mockprovider

import (
	"strconv"
	"unicode/utf8"
)

// jsonWriter appends compact JSON in the order the provider's examples use, which encoding/json's
// sorted maps cannot do, without reflection on the hot path of corpus generation.
type jsonWriter struct {
	buf   []byte
	comma []bool // per open container: whether the next member needs a comma
}

func (w *jsonWriter) sep() {
	if n := len(w.comma); n > 0 {
		if w.comma[n-1] {
			w.buf = append(w.buf, ',')
		}
		w.comma[n-1] = true
	}
}

func (w *jsonWriter) open(c byte) {
	w.buf = append(w.buf, c)
	w.comma = append(w.comma, false)
}

// beginObject starts an object as a value (in an array or at the top).
func (w *jsonWriter) beginObject() { w.sep(); w.open('{') }
func (w *jsonWriter) beginArray()  { w.sep(); w.open('[') }

// object starts an object as the value of key.
func (w *jsonWriter) object(key string) { w.key(key); w.open('{') }
func (w *jsonWriter) array(key string)  { w.key(key); w.open('[') }

func (w *jsonWriter) end(c byte) {
	w.comma = w.comma[:len(w.comma)-1]
	w.buf = append(w.buf, c)
}
func (w *jsonWriter) endObject() { w.end('}') }

// since returns a copy of what was written from start on: the JSON of a value begun there.
func (w *jsonWriter) since(start int) []byte { return append([]byte(nil), w.buf[start:]...) }
func (w *jsonWriter) endArray()              { w.end(']') }

// key starts a member named k. Names are the generator's own: the documents' field names and the
// message types, plain ASCII, so they are copied without appendQuoted's scan (a tenth of generating).
func (w *jsonWriter) key(k string) {
	w.sep()
	w.buf = append(w.buf, '"')
	w.buf = append(w.buf, k...)
	w.buf = append(w.buf, '"', ':')
}

func (w *jsonWriter) str(k, v string) { w.key(k); w.buf = appendQuoted(w.buf, v) }
func (w *jsonWriter) int(k string, v int64) {
	w.key(k)
	w.buf = strconv.AppendInt(w.buf, v, 10)
}
func (w *jsonWriter) bool(k string, v bool) { w.key(k); w.buf = strconv.AppendBool(w.buf, v) }

// float writes v with prec decimals, as coordinates are written.
func (w *jsonWriter) float(k string, v float64, prec int) {
	w.key(k)
	w.buf = strconv.AppendFloat(w.buf, v, 'f', prec, 64)
}

// strValue writes a string element of an array.
func (w *jsonWriter) strValue(v string) { w.sep(); w.buf = appendQuoted(w.buf, v) }

const hexDigits = "0123456789abcdef"

// plainASCII marks the bytes that go into a JSON string as they are before anything is known about
// the UTF-8 of what follows: ASCII other than control characters, '"' and '\\'. Bytes from 0x80 up
// start a multi-byte sequence, which must be checked.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// safeInValid marks the bytes that go into a JSON string as they are, when the string is valid UTF-8.
var safeInValid = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendQuoted appends s as a JSON string. It escapes only what JSON requires, so non-ASCII text is
// sent as UTF-8 the way the providers send it; invalid UTF-8 becomes U+FFFD.
//
// Quoting was the largest single cost of generating a payload: some forty-five strings a payload,
// most of them plain ASCII from end to end. So it first looks for the end of the plain ASCII at the
// start of s eight bytes at a time, copies that as it is, and leaves only what follows, if anything,
// to the byte-by-byte appendEscaped.
func appendQuoted(buf []byte, s string) []byte {
	i := 0
	for i+8 <= len(s) && plainWord(load64(s, i)) {
		i += 8
	}
	for i < len(s) && plainASCII[s[i]] {
		i++
	}
	buf = append(buf, '"')
	buf = append(buf, s[:i]...)
	if i < len(s) {
		buf = appendEscaped(buf, s[i:])
	}
	return append(buf, '"')
}

// appendEscaped appends s, escaped for a JSON string. The first byte from 0x80 up checks the rest
// of s at once; when that is valid UTF-8, every byte from there on but '"', '\\' and controls is
// copied as it is, else each sequence is decoded and an invalid byte becomes U+FFFD.
func appendEscaped(buf []byte, s string) []byte {
	plain := &plainASCII
	checked := false // whether s[i:] has been checked for valid UTF-8 at the first non-ASCII byte
	start := 0       // s[start:i] is still to be copied
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			if !checked {
				checked = true
				if utf8.ValidString(s[i:]) {
					plain = &safeInValid
					continue
				}
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				buf = append(buf, s[start:i]...)
				buf = append(buf, `\ufffd`...)
				start = i + size
			}
			i += size
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	return append(buf, s[start:]...)
}

// load64 reads s[i:i+8] as a little-endian word: one load, after one bounds check.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// plainWord reports whether all eight bytes of x are plain ASCII (see plainASCII): none is below
// 0x20, '"', '\\' or from 0x80 up. Each term sets the top bit of a byte that is one of those: 0x20
// taken from a byte below 0x20 wraps round to 0xdf or more; 1 taken from the byte XORed with '"'
// (or '\\') wraps round to 0xfe or more when the byte is '"' (or '\\'); a byte from 0x80 up has
// the top bit already. A plain byte neither sets its top bit nor borrows from the byte above, so in
// a word of plain bytes no top bit is set: the answer is exact.
func plainWord(x uint64) bool {
	const ones, tops = 0x0101010101010101, 0x8080808080808080
	maybe := (x - 0x20*ones) | ((x ^ '"'*ones) - ones) | ((x ^ '\\'*ones) - ones) | x
	return maybe&tops == 0
}
