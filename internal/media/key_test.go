package media_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/media"
)

func TestKey(t *testing.T) {
	assert.Equal(t, "image-00000000075bcd15", media.Key(media.Image, 123456789))
	assert.Equal(t, "document-0000000000000000", media.Key(media.Document, 0))
	assert.Equal(t, "sticker-ffffffffffffffff", media.Key(media.Sticker, 1<<64-1))
}

func TestKeyRoundTrip(t *testing.T) {
	for _, kind := range media.Kinds() {
		for _, seed := range testSeeds(400) {
			key := media.Key(kind, seed)
			assert.Equal(t, key, url.PathEscape(key), "key must need no escaping in a path")
			gotKind, gotSeed, err := media.ParseKey(key)
			require.NoError(t, err, key)
			assert.Equal(t, kind, gotKind, key)
			assert.Equal(t, seed, gotSeed, key)
		}
	}
}

// rejectedKeys are inputs a download server must turn away; FuzzParseKey starts from them too.
var rejectedKeys = []struct {
	name, key   string
	unknownKind bool
}{
	{"empty", "", false},
	{"kind only", "image", false},
	{"no seed", "image-", false},
	{"short seed", "image-75bcd15", false},
	{"long seed", "image-000000000075bcd15", false},
	{"17 digits overflow", "image-10000000000000000", false},
	{"uppercase hex", "image-00000000075BCD15", false},
	{"non-hex digit", "image-00000000075bcd1g", false},
	{"sign", "image-+0000000075bcd15", false},
	{"0x prefix", "image-0x000000075bcd15", false},
	{"double dash", "image--000000075bcd15", false},
	{"underscore", "image_00000000075bcd15", false},
	{"extension", "image-00000000075bcd15.jpg", false},
	{"trailing slash", "image-00000000075bcd15/", false},
	{"leading space", " image-00000000075bcd15", true},
	{"trailing newline", "image-00000000075bcd15\n", false},
	{"NUL", "image-00000000075bcd1\x00", false},
	{"path traversal", "../x", false},
	{"path traversal, too long", "../../image-00000000075bcd15", false},
	{"path traversal in kind", "../image-00000000075bcd15", true},
	{"encoded traversal", "..%2F-00000000075bcd15", true},
	{"slash in kind", "image/-00000000075bcd15", true},
	{"unknown kind", "gif-00000000075bcd15", true},
	{"uppercase kind", "IMAGE-00000000075bcd15", true},
	{"empty kind", "-00000000075bcd15", false},
	{"non-ASCII digits", "image-٠٠٠٠٠٠٠٠٠٠٠٠٠٠٠٠", false},
	{"huge", strings.Repeat("a", 1<<20), false},
}

func TestParseKeyRejects(t *testing.T) {
	for _, tc := range rejectedKeys {
		t.Run(tc.name, func(t *testing.T) {
			kind, seed, err := media.ParseKey(tc.key)
			require.ErrorIs(t, err, media.ErrInvalidKey)
			assert.Equal(t, tc.unknownKind, errors.Is(err, media.ErrUnknownKind), "ErrUnknownKind: %v", err)
			assert.Empty(t, kind)
			assert.Zero(t, seed)
			assert.Less(t, len(err.Error()), 200, "error text must not echo huge input")
		})
	}
}

func FuzzParseKey(f *testing.F) {
	for _, tc := range rejectedKeys {
		if len(tc.key) < 100 {
			f.Add(tc.key, uint64(0))
		}
	}
	for i, kind := range media.Kinds() {
		f.Add(media.Key(kind, uint64(i)*0x9E3779B97F4A7C15), uint64(i))
	}
	f.Fuzz(func(t *testing.T, key string, seed uint64) {
		kind, got, err := media.ParseKey(key)
		if err != nil {
			require.ErrorIs(t, err, media.ErrInvalidKey)
			require.Empty(t, kind)
		} else {
			// Only the canonical spelling is accepted: one key per file.
			require.Equal(t, key, media.Key(kind, got))
			require.Contains(t, media.Kinds(), kind)
		}

		for _, kind := range media.Kinds() {
			k, s, err := media.ParseKey(media.Key(kind, seed))
			require.NoError(t, err)
			require.Equal(t, kind, k)
			require.Equal(t, seed, s)
		}
	})
}
