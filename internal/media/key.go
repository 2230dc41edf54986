package media

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrInvalidKey is wrapped by every ParseKey error, so a server can turn any bad path into one
// "not found" answer without inspecting the reason.
var ErrInvalidKey = errors.New("media: invalid key")

// seedDigits is fixed so that each (kind, seed) has exactly one key: a cache or a log can compare
// keys as strings.
const seedDigits = 16

// maxKeyLen bounds the work and the error text spent on untrusted input: no valid key is longer
// than the longest kind, a '-' and the seed.
var maxKeyLen = func() int {
	n := 0
	for _, k := range kinds {
		n = max(n, len(k.kind))
	}
	return n + 1 + seedDigits
}()

// Key names the file for (kind, seed) in a form safe to put in a URL path unescaped, such as
// "image-00000000075bcd15", so a download server can regenerate the bytes from the path alone.
func Key(kind Kind, seed uint64) string {
	return fmt.Sprintf("%s-%0*x", kind, seedDigits, seed)
}

// ParseKey reverses Key. It takes untrusted request paths, so it accepts only the exact form Key
// writes (a known kind, '-', 16 lowercase hex digits) and rejects everything else, including
// uppercase hex, signs, separators and extensions.
func ParseKey(key string) (Kind, uint64, error) {
	if len(key) > maxKeyLen {
		return "", 0, fmt.Errorf("%w: %d bytes long, at most %d", ErrInvalidKey, len(key), maxKeyLen)
	}
	if len(key) < 1+seedDigits+1 || key[len(key)-seedDigits-1] != '-' {
		return "", 0, fmt.Errorf("%w %q: want <kind>-<%d hex digits>", ErrInvalidKey, key, seedDigits)
	}
	kind := Kind(key[:len(key)-seedDigits-1])
	hex := key[len(key)-seedDigits:]
	if !known(kind) {
		return "", 0, fmt.Errorf("%w %q: %w %q", ErrInvalidKey, key, ErrUnknownKind, kind)
	}
	for i := range len(hex) {
		if c := hex[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", 0, fmt.Errorf("%w %q: seed %q is not %d lowercase hex digits", ErrInvalidKey, key, hex, seedDigits)
		}
	}
	seed, err := strconv.ParseUint(hex, 16, 64)
	if err != nil { // unreachable after the digit check; kept so a future change cannot panic or lie
		return "", 0, fmt.Errorf("%w %q: %w", ErrInvalidKey, key, err)
	}
	return kind, seed, nil
}
