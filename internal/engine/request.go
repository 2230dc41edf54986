package engine

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// defaultUserAgent is sent when the headers name no User-Agent, as net/http did.
const defaultUserAgent = "Go-http-client/1.1"

// head is the part of a payload's requests that does not change between attempts: every header line
// but Content-Length, ready to write. Attempts and duplicate copies share it.
type head struct {
	// pre holds the Host and User-Agent lines, which come first as net/http wrote them.
	pre []byte
	// rest holds the other header lines, sorted by name.
	rest []byte
	// close is set when the headers ask the receiver to close the connection after answering.
	close bool
	// err is why the headers cannot be sent; every attempt of the payload fails with it.
	err error
}

// newHead lays out header h, as merged for a payload: names as spelled, values with surrounding
// blanks trimmed, the way net/http wrote a request. Host names the request's host, else the target's;
// User-Agent defaults to Go's; Content-Length, Transfer-Encoding and Trailer are the engine's to send.
// A target with user info adds an Authorization header unless h has one. Every line is checked first
// as New checks Options.Header (checkLines, in name order), so that a payload's header is refused
// exactly when the same header in Options would be, and in the same words.
func (e *Engine) newHead(h http.Header) *head {
	hd := &head{}
	names := slices.Sorted(maps.Keys(h))
	for _, k := range names {
		if err := checkLines(k, h[k]); err != nil {
			hd.err = fmt.Errorf("header: %w", err)
			return hd
		}
	}
	host := e.host
	if hasFold(h, "Host") {
		host = strings.Trim(getFold(h, "Host"), " \t")
	}
	ua := defaultUserAgent
	if hasFold(h, "User-Agent") {
		ua = strings.Trim(getFold(h, "User-Agent"), " \t")
	}
	pre := make([]byte, 0, 64)
	pre = appendLine(pre, "Host", host)
	if ua != "" {
		pre = appendLine(pre, "User-Agent", ua)
	}
	keys := names[:0]
	for _, k := range names {
		switch {
		case strings.EqualFold(k, "Host"), strings.EqualFold(k, "User-Agent"), strings.EqualFold(k, "Content-Length"),
			strings.EqualFold(k, "Transfer-Encoding"), strings.EqualFold(k, "Trailer"):
			continue
		}
		keys = append(keys, k)
	}
	auth := ""
	if e.basicAuth != "" && !hasFold(h, "Authorization") {
		auth = "Authorization"
		keys = append(keys, auth)
		slices.Sort(keys)
	}
	var rest []byte
	for _, k := range keys {
		if k == auth {
			rest = appendLine(rest, k, e.basicAuth)
			continue
		}
		for _, v := range h[k] {
			v = strings.Trim(v, " \t")
			if strings.EqualFold(k, "Connection") && hasToken(v, "close") {
				hd.close = true
			}
			rest = appendLine(rest, k, v)
		}
	}
	hd.pre, hd.rest = pre, rest
	return hd
}

// hasToken reports whether the comma-separated list v holds token, a lower-case ASCII token,
// compared as net/http compares Connection tokens: ASCII letters in any case, only spaces and tabs
// trimmed, so that no Unicode folding ("clo\u017fe") or space ("close\u00a0") passes for it.
func hasToken(v, token string) bool {
	for part := range strings.SplitSeq(v, ",") {
		part = strings.Trim(part, " \t")
		if len(part) != len(token) {
			continue
		}
		same := true
		for i := 0; i < len(part) && same; i++ {
			b := part[i]
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			same = b == token[i]
		}
		if same {
			return true
		}
	}
	return false
}

func appendLine(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, "\r\n"...)
}

// validName reports whether name is an HTTP token, as a header name must be.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		if b >= 0x80 || !tokenByte[b] {
			return false
		}
	}
	return true
}

// badValueByte returns the index of the first byte of v that a header value must not hold, or -1.
func badValueByte(v string) int {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < ' ' && b != '\t' || b == 0x7f {
			return i
		}
	}
	return -1
}

// ErrBadHeader is matched (errors.Is) by the errors of CheckHeader, CheckHeaderField and
// CheckHeaderValue. Their text does not repeat it, so that callers can say where the header came from.
var ErrBadHeader = errors.New("invalid header")

// headerError is a header refusal: its message, and ErrBadHeader for errors.Is.
type headerError string

func (e headerError) Error() string      { return string(e) }
func (headerError) Is(target error) bool { return target == ErrBadHeader }

// CheckHeaderValue reports a value no header may carry: one with a control character other than tab
// (RFC 9110 field-value), such as a line break that would start a header of the receiver's choosing.
// The error does not quote the value, which may be a credential.
func CheckHeaderValue(v string) error {
	if i := badValueByte(v); i >= 0 {
		return headerError(fmt.Sprintf("control character %#02x at byte %d of the value", v[i], i))
	}
	return nil
}

// checkHeaderName reports a header name that is not an RFC 9110 token.
func checkHeaderName(name string) error {
	if !validName(name) {
		return headerError(fmt.Sprintf("name %q is not a token: use letters, digits and !#$%%&'*+-.^_`|~", name))
	}
	return nil
}

// CheckHeaderField reports a header line the engine would refuse to send: a name that is not an RFC
// 9110 token, a value with a control character, or a Host that is not host[:port]. An empty Host is
// refused too, wherever it is given: leaving Host out is how to send the target's. The engine checks
// Options.Header and each payload's merged header with it; checking headers with it before a run
// turns what would fail every attempt into one error up front.
func CheckHeaderField(name, value string) error {
	if err := checkHeaderName(name); err != nil {
		return err
	}
	if err := CheckHeaderValue(value); err != nil {
		return headerError(fmt.Sprintf("%s: %v", name, err))
	}
	if strings.EqualFold(name, "Host") {
		host := strings.Trim(value, " \t")
		if host == "" {
			return headerError("Host is empty: leave it out to send the target's")
		}
		if err := checkHost(host); err != nil {
			return headerError(err.Error())
		}
	}
	return nil
}

// CheckHeader runs CheckHeaderField on every line of h, in name order, and returns the first error.
func CheckHeader(h http.Header) error {
	for _, name := range slices.Sorted(maps.Keys(h)) {
		if err := checkLines(name, h[name]); err != nil {
			return err
		}
	}
	return nil
}

// checkLines runs CheckHeaderField on each value of name. A name without values must still be
// sendable, so it is checked with an empty value.
func checkLines(name string, values []string) error {
	if len(values) == 0 {
		values = []string{""}
	}
	for _, v := range values {
		if err := CheckHeaderField(name, v); err != nil {
			return err
		}
	}
	return nil
}

// tokenByte marks the bytes of RFC 9110's tchar.
var tokenByte = func() (t [128]bool) {
	for b := '0'; b <= '9'; b++ {
		t[b] = true
	}
	for b := 'a'; b <= 'z'; b++ {
		t[b], t[b-'a'+'A'] = true, true
	}
	for _, b := range "!#$%&'*+-.^_`|~" {
		t[b] = true
	}
	return t
}()
